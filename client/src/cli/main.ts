#!/usr/bin/env node
import { Code } from "@connectrpc/connect";
import { parseArgs } from "node:util";
import { type SeatbeltClientOptions, createSeatbeltClient } from "../client.js";
import { SeatbeltError } from "../errors.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import { EXIT_FAILURE, EXIT_USAGE, createPaint } from "./output.js";
import { runRepl } from "./repl.js";
import { type Terminal, openSession, runTask } from "./run.js";

/** @default "http://127.0.0.1:50051" */
const DEFAULT_URL = "http://127.0.0.1:50051";

const HELP = `Usage: seatbelt [--url URL] COMMAND [options]

Runs Python and shell code in Seatbelt sandboxes.

Commands:
  python [CODE]         run Python code (from CODE, --file, or stdin), output live
  shell COMMAND...      run a shell command; its exit code is seatbelt's
  repl                  interactive Python prompt in a session
  sessions              list the server's sessions
  delete SESSION_ID...  delete sessions

Options:
  --url URL             server address, https://... for TLS (env SEATBELT_URL; default ${DEFAULT_URL})
  --token-file FILE     read the bearer token from FILE; the token itself comes from env SEATBELT_TOKEN
                        when this is unset, so it never shows in the process list
  --ca FILE             PEM CA certificates that the server's certificate must chain to (env SEATBELT_CA)
  --cert FILE           PEM client certificate, for a server that requires one (env SEATBELT_CERT)
  --key FILE            PEM private key of --cert (env SEATBELT_KEY)
  --session ID          run in this existing session instead of a new one
  --keep                keep the new session and print its id, instead of deleting it
  -f, --file FILE       python: read the code from FILE ("-" for stdin)
  -h, --help            print this help
`;

const OPTIONS = {
  url: { type: "string" },
  "token-file": { type: "string" },
  ca: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  session: { type: "string" },
  keep: { type: "boolean" },
  file: { type: "string", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

class UsageError extends Error {}

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(Buffer.from(chunk as Buffer));
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Splits the arguments at the first positional one: options before it are
 * the CLI's, and everything from it on belongs to the shell command, so that
 * `seatbelt shell ls -la` passes -la to ls.
 */
function splitShellArgs(args: readonly string[]): { options: string[]; command: string[] } {
  const valued = new Set(["--url", "--token-file", "--ca", "--cert", "--key", "--session", "--file", "-f"]);
  let index = 0;
  while (index < args.length && args[index]!.startsWith("-")) {
    index += valued.has(args[index]!) ? 2 : 1;
  }
  return { options: args.slice(0, index), command: args.slice(index) };
}

async function main(argv: readonly string[]): Promise<number> {
  const leadingOption = argv[0] !== undefined && argv[0].startsWith("-") && argv[0] !== "-h" && argv[0] !== "--help";
  const [commandName, ...rest] = leadingOption ? moveCommandFirst(argv) : argv;
  if (commandName === undefined || commandName === "-h" || commandName === "--help" || commandName === "help") {
    process.stdout.write(HELP);
    return commandName === undefined ? EXIT_USAGE : 0;
  }
  const { options: optionArgs, command } = commandName === "shell" ? splitShellArgs(rest) : { options: rest, command: [] };
  const { values, positionals } = parseArgs({ args: optionArgs, options: OPTIONS, allowPositionals: commandName !== "shell", strict: true });
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }

  const client = createSeatbeltClient({ baseUrl: values.url ?? process.env.SEATBELT_URL ?? DEFAULT_URL, ...(await readCredentials(values, process.env)) });
  const terminal: Terminal = { stdout: process.stdout, stderr: process.stderr, paintError: createPaint(process.stderr, process.env) };
  const cancel = new AbortController();
  process.once("SIGINT", () => cancel.abort());

  switch (commandName) {
    case "python":
    case "shell": {
      const task = commandName === "shell" ? { kind: "shell" as const, command: command.join(" ") } : { kind: "python" as const, code: await readPythonCode(values.file, positionals) };
      if (task.kind === "shell" && task.command === "") {
        throw new UsageError("shell needs a command, such as: seatbelt shell ls -la");
      }
      const { session, release } = await openSession(client, values.session, values.keep === true, terminal);
      try {
        return await runTask(session, task, terminal, cancel.signal);
      } finally {
        await release();
      }
    }
    case "repl": {
      const { session, release } = await openSession(client, values.session, values.keep === true, terminal);
      try {
        return await runRepl(session, process.stdin, terminal);
      } finally {
        await release();
      }
    }
    case "sessions": {
      for (const session of await client.listSessions()) {
        const created = session.createdAt === undefined ? "" : new Date(Number(session.createdAt.seconds) * 1000).toISOString();
        process.stdout.write(`${session.sessionId}\t${SessionState[session.state].toLowerCase()}\t${session.executionCount} executions\t${created}\n`);
      }
      return 0;
    }
    case "delete": {
      if (positionals.length === 0) {
        throw new UsageError("delete needs at least one session id; list them with: seatbelt sessions");
      }
      for (const id of positionals) {
        await client.deleteSession(id);
        process.stdout.write(`deleted ${id}\n`);
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(commandName)}; run seatbelt --help for the list`);
  }
}

/** Reads the token and TLS files that the options or environment variables name. */
async function readCredentials(values: { "token-file"?: string; ca?: string; cert?: string; key?: string }, env: NodeJS.ProcessEnv): Promise<Pick<SeatbeltClientOptions, "token" | "tls">> {
  const { readFile } = await import("node:fs/promises");
  const read = async (path: string | undefined, what: string): Promise<Buffer | undefined> => {
    if (path === undefined || path === "") {
      return undefined;
    }
    try {
      return await readFile(path);
    } catch (error) {
      throw new UsageError(`failed to read the ${what} ${path}: ${(error as Error).message}`);
    }
  };
  const tokenFile = await read(values["token-file"], "token file");
  const token = tokenFile?.toString("utf8").trim() ?? env.SEATBELT_TOKEN;
  const [ca, cert, key] = await Promise.all([
    read(values.ca ?? env.SEATBELT_CA, "CA file"),
    read(values.cert ?? env.SEATBELT_CERT, "client certificate"),
    read(values.key ?? env.SEATBELT_KEY, "client key"),
  ]);
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError("--cert and --key must be given together");
  }
  const tls = ca === undefined && cert === undefined ? undefined : { ca, cert, key };
  return { ...(token === undefined || token === "" ? {} : { token }), ...(tls === undefined ? {} : { tls }) };
}

/** Lets global options such as --url come before the command name. */
function moveCommandFirst(argv: readonly string[]): string[] {
  const { options, command } = splitShellArgs(argv);
  return [...command.slice(0, 1), ...options, ...command.slice(1)];
}

/** Reads Python code from --file ("-" is stdin), else from the arguments, else from stdin. */
async function readPythonCode(file: string | undefined, positionals: readonly string[]): Promise<string> {
  if (file !== undefined && file !== "-") {
    const { readFile } = await import("node:fs/promises");
    return readFile(file, "utf8");
  }
  if (file === undefined && positionals.length > 0) {
    return positionals.join(" ");
  }
  return readStream(process.stdin);
}

/** The error's hint, naming a command of this program where the client's hint names a method. */
function commandHint(error: SeatbeltError): string {
  if (error.code === Code.NotFound) {
    return "the session, execution, profile or path named does not exist; list the live sessions with seatbelt sessions, and check the spelling of a profile name or path";
  }
  return error.hint;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const paint = createPaint(process.stderr, process.env);
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      process.stderr.write(`seatbelt: ${(error as Error).message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    const message = error instanceof SeatbeltError ? `${error.constructor.name}: ${error.rawMessage} (${commandHint(error)})` : String(error);
    process.stderr.write(paint(`seatbelt: ${message}\n`, "red"));
    process.exitCode = EXIT_FAILURE;
  },
);
