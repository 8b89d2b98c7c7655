/**
 * Wrapper commands: programs that run another program, or a script, given
 * in their arguments. The shell check judges a wrapper by what it runs, so
 * `env bash -c id` is judged as `bash -c id`.
 *
 * A word is its text after quote removal, or null when it is not a plain
 * literal (it contains an expansion or a substitution).
 */
export type Word = string | null;

/** Program or script that a wrapper runs, as the check judges it. */
export type WrappedRun =
  | { readonly kind: "none" }
  | { readonly kind: "command"; readonly words: readonly Word[] }
  | { readonly kind: "script"; readonly script: Word; readonly dialect: "posix" | "bash" }
  | { readonly kind: "unknown"; readonly reason: string };

/** Options of each wrapper that take a value in the next word. */
const OPTIONS_WITH_VALUE: Readonly<Record<string, readonly string[]>> = {
  env: ["-u", "--unset", "-C", "--chdir"],
  timeout: ["-s", "--signal", "-k", "--kill-after"],
  nice: ["-n", "--adjustment"],
  stdbuf: ["-i", "-o", "-e", "--input", "--output", "--error"],
  time: ["-f", "--format", "-o", "--output"],
  exec: ["-a"],
  xargs: ["-a", "--arg-file", "-d", "--delimiter", "-E", "-I", "-L", "--max-lines", "-n", "--max-args", "-P", "--max-procs", "-s", "--max-chars"],
  nohup: [],
  command: [],
};

/** Options after which a wrapper runs nothing but prints. */
const PRINT_ONLY_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  command: ["-v", "-V"],
};

/** Options whose value is a command line that the wrapper splits itself. */
const SPLITTING_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  env: ["-S", "--split-string"],
};

const SHELLS: Readonly<Record<string, "posix" | "bash">> = { sh: "posix", dash: "posix", bash: "bash" };

/** Tells whether a command name is a wrapper that this module understands. */
export function isWrapper(name: string): boolean {
  return name in OPTIONS_WITH_VALUE || name in SHELLS || name === "find" || name === "eval";
}

function unwrapOptions(name: string, args: readonly Word[]): WrappedRun {
  const withValue = OPTIONS_WITH_VALUE[name] ?? [];
  let index = 0;
  while (index < args.length) {
    const word = args[index];
    if (word === null || word === undefined) {
      return { kind: "unknown", reason: `${name} has an argument that is not a plain literal` };
    }
    if (word === "--") {
      index++;
      break;
    }
    if (name === "env" && /^[^=-][^=]*=/.test(word)) {
      index++;
      continue;
    }
    if (!word.startsWith("-") || word === "-") {
      break;
    }
    const option = word.split("=")[0]!;
    if (SPLITTING_OPTIONS[name]?.some((splitting) => option === splitting || word.startsWith(splitting))) {
      return { kind: "unknown", reason: `${name} ${option} splits its own command line` };
    }
    if (PRINT_ONLY_OPTIONS[name]?.includes(option)) {
      return { kind: "none" };
    }
    // nice -10 is an old form of nice -n 10.
    const takesValue = withValue.includes(word) && !word.includes("=");
    index += takesValue ? 2 : 1;
  }
  // timeout's first operand is the duration, not the program.
  if (name === "timeout") {
    index++;
  }
  const words = args.slice(index);
  return words.length === 0 ? { kind: "none" } : { kind: "command", words };
}

function unwrapShell(name: string, args: readonly Word[]): WrappedRun {
  for (const [index, word] of args.entries()) {
    if (word === null) {
      return { kind: "unknown", reason: `${name} has an option that is not a plain literal` };
    }
    if (!word.startsWith("-")) {
      break;
    }
    if (/^-[a-z]*c[a-z]*$/.test(word)) {
      return { kind: "script", script: args[index + 1] ?? null, dialect: SHELLS[name]! };
    }
  }
  // Without -c the shell runs a script file or its standard input, which the
  // check cannot read, so the shell is judged by its own name alone.
  return { kind: "none" };
}

const FIND_RUNNERS = new Set(["-exec", "-execdir", "-ok", "-okdir"]);
const FIND_WRITERS = new Set(["-delete", "-fprint", "-fprint0", "-fprintf", "-fls"]);

/**
 * Returns each program that find runs with -exec and its kin, or the first
 * action that deletes or writes files.
 */
export function unwrapFind(args: readonly Word[]): { runs: Word[][]; writer: string | undefined } {
  const runs: Word[][] = [];
  for (let index = 0; index < args.length; index++) {
    const word = args[index] ?? null;
    if (word !== null && FIND_WRITERS.has(word)) {
      return { runs, writer: word };
    }
    if (word !== null && FIND_RUNNERS.has(word)) {
      const end = args.findIndex((candidate, position) => position > index && (candidate === ";" || candidate === "+"));
      runs.push(args.slice(index + 1, end === -1 ? args.length : end));
      index = end === -1 ? args.length : end;
    }
  }
  return { runs, writer: undefined };
}

/** Returns what the wrapper name runs when called with args. */
export function unwrapCommand(name: string, args: readonly Word[]): WrappedRun {
  if (name === "eval") {
    // eval joins its arguments with spaces and runs them as a script.
    return { kind: "script", script: args.includes(null) ? null : args.join(" "), dialect: "posix" };
  }
  if (name in SHELLS) {
    return unwrapShell(name, args);
  }
  const run = unwrapOptions(name, args);
  // xargs without a program runs echo.
  return name === "xargs" && run.kind === "none" ? { kind: "command", words: ["echo"] } : run;
}
