/**
 * Options and operands through which a default safe command does more than
 * read: run another program, write a file, or change a setting of the
 * system. The shell check judges these commands by their arguments too, so
 * that `sort --compress-program=sh` is not let through as "sort".
 *
 * GNU commands take options anywhere among the operands, up to `--`, and
 * accept any unambiguous abbreviation of a long option; both are followed
 * here. find's actions are judged by unwrapFind in shell-wrappers.ts.
 */
import type { Word } from "./shell-wrappers.js";

/** Effect of an option or operand beyond reading. */
export type OptionEffect = "runs" | "writes" | "changes";

/** An argument of a safe command that does more than read. */
export interface OptionHazard {
  readonly effect: OptionEffect | "unreadable";
  /** The option as the table names it (--compress-program, -o), or "operand". */
  readonly option: string;
  /** Index of the argument in args. */
  readonly index: number;
  /** The file written, for effect "writes". */
  readonly target?: string;
}

interface OptionTable {
  /** Short options that take a value, in the same word or the next. */
  readonly shortWithValue: string;
  /** Short options whose value, if any, is in the same word. */
  readonly shortOptional?: string;
  /** Every long option; "name=" takes a value, "name[=]" takes one only after "=". */
  readonly long: readonly string[];
  /** Effect of each option that does more than read, by its short or full long name. */
  readonly effects: Readonly<Record<string, OptionEffect>>;
  /** Index and effect of an operand that does more than read, given the operands. */
  readonly operand?: (operands: readonly string[]) => { index: number; effect: OptionEffect } | undefined;
}

/** Writes that go nowhere: uniq's "-" is its standard output. */
const HARMLESS_OUTPUT = new Set(["/dev/null", "-"]);

/**
 * The option-level rules. Commands of the default safe set that are not
 * listed (ls, cat, grep, head, tail, wc, cut, tr, du, stat and the rest)
 * have no option that runs a program, writes or deletes a file.
 */
const TABLES: Readonly<Record<string, OptionTable>> = {
  sort: {
    shortWithValue: "kSoTt",
    long: [
      "ignore-leading-blanks", "debug", "dictionary-order", "ignore-case", "general-numeric-sort", "ignore-nonprinting",
      "human-numeric-sort", "month-sort", "numeric-sort", "random-sort", "reverse", "sort=", "version-sort", "check[=]",
      "compress-program=", "files0-from=", "key=", "merge", "output=", "random-source=", "stable", "buffer-size=",
      "field-separator=", "temporary-directory=", "parallel=", "unique", "zero-terminated", "batch-size=", "help", "version",
    ],
    effects: { "--compress-program": "runs", "-o": "writes", "--output": "writes" },
  },
  uniq: {
    shortWithValue: "fsw",
    long: [
      "count", "repeated", "all-repeated[=]", "skip-fields=", "group[=]", "ignore-case", "skip-chars=", "unique",
      "zero-terminated", "check-chars=", "help", "version",
    ],
    effects: {},
    // uniq [INPUT [OUTPUT]] writes its second operand.
    operand: (operands) => (operands.length >= 2 ? { index: 1, effect: "writes" } : undefined),
  },
  date: {
    shortWithValue: "dfrs",
    shortOptional: "IR",
    long: ["date=", "debug", "file=", "iso-8601[=]", "resolution", "rfc-email", "rfc-3339=", "reference=", "set=", "universal", "utc", "help", "version"],
    effects: { "-s": "changes", "--set": "changes" },
    // date MMDDhhmm[[CC]YY][.ss] sets the clock; date +FORMAT prints.
    operand: (operands) => {
      const index = operands.findIndex((operand) => !operand.startsWith("+"));
      return index === -1 ? undefined : { index, effect: "changes" };
    },
  },
  file: {
    shortWithValue: "eFfmP",
    long: [
      "apple", "brief", "checking-printout", "compile", "debug", "exclude=", "exclude-quiet=", "extension", "files-from=",
      "separator=", "help", "dereference", "mime", "mime-type", "mime-encoding", "no-dereference", "no-buffer", "no-pad",
      "print0", "preserve-date", "parameter=", "raw", "special-files", "uncompress", "uncompress-noreport", "version", "magic-file=",
    ],
    // file -C compiles the magic files into NAME.mgc in the working directory.
    effects: { "-C": "writes", "--compile": "writes" },
  },
  hostname: {
    shortWithValue: "F",
    long: ["file=", "boot", "alias", "domain", "fqdn", "long", "all-fqdns", "ip-address", "all-ip-addresses", "short", "yp", "nis", "help", "version"],
    effects: { "-F": "changes", "--file": "changes", "-b": "changes", "--boot": "changes" },
    // hostname NAME sets the host name.
    operand: (operands) => (operands.length > 0 ? { index: 0, effect: "changes" } : undefined),
  },
  // find's actions are judged elsewhere; it is listed so that an argument
  // that is not a plain literal, which may become -delete, is refused.
  find: { shortWithValue: "", long: [], effects: {} },
};

/** Tells whether the check judges name's arguments, not only its name. */
export function hasOptionRules(name: string): boolean {
  return Object.hasOwn(TABLES, name);
}

/** Resolves a long option or an unambiguous abbreviation of it to its entry in long. */
function resolveLong(table: OptionTable, given: string, effects: Readonly<Record<string, OptionEffect>>): string | undefined {
  const exact = table.long.find((entry) => entry.replace(/\[?=\]?$/, "") === given);
  if (exact !== undefined) {
    return exact;
  }
  const matches = table.long.filter((entry) => entry.startsWith(given));
  // An abbreviation that could stand for an option with an effect is taken
  // for it, even when it is ambiguous and the command would refuse it.
  return matches.find((entry) => `--${entry.replace(/\[?=\]?$/, "")}` in effects) ?? (matches.length === 1 ? matches[0] : undefined);
}

/**
 * Returns the first argument through which name does more than read, or
 * undefined. args are the words after the command name.
 */
export function findOptionHazard(name: string, args: readonly Word[]): OptionHazard | undefined {
  const table = TABLES[name];
  if (table === undefined) {
    return undefined;
  }
  const operands: { word: string; index: number }[] = [];
  let optionsEnd = false;
  for (let index = 0; index < args.length; index++) {
    const word = args[index];
    if (word === null || word === undefined) {
      return { effect: "unreadable", option: "operand", index };
    }
    if (optionsEnd || word === "-" || !word.startsWith("-")) {
      operands.push({ word, index });
    } else if (word === "--") {
      optionsEnd = true;
    } else if (word.startsWith("--")) {
      const equals = word.indexOf("=");
      const given = word.slice(2, equals === -1 ? undefined : equals);
      const entry = resolveLong(table, given, table.effects);
      const full = entry === undefined ? `--${given}` : `--${entry.replace(/\[?=\]?$/, "")}`;
      const effect = table.effects[full];
      const takesNext = entry?.endsWith("=") === true && !entry.endsWith("[=]") && equals === -1;
      let value: Word | undefined;
      if (equals !== -1) {
        value = word.slice(equals + 1);
      } else if (takesNext) {
        value = args[index + 1];
      }
      if (takesNext && value === null) {
        return { effect: "unreadable", option: full, index: index + 1 };
      }
      if (effect !== undefined && !(effect === "writes" && value === "/dev/null")) {
        return { effect, option: full, index, ...(typeof value === "string" ? { target: value } : {}) };
      }
      index += takesNext ? 1 : 0;
    } else {
      const hazard = readShortCluster(table, args, index);
      if (typeof hazard !== "number") {
        return hazard;
      }
      index += hazard;
    }
  }
  const found = table.operand?.(operands.map((operand) => operand.word));
  if (found === undefined) {
    return undefined;
  }
  const { word, index } = operands[found.index]!;
  if (found.effect === "writes" && HARMLESS_OUTPUT.has(word)) {
    return undefined;
  }
  return { effect: found.effect, option: "operand", index, target: word };
}

/** Reads one word of short options; returns a hazard, or how many more words its value took. */
function readShortCluster(table: OptionTable, args: readonly Word[], index: number): OptionHazard | number {
  const word = args[index]!;
  for (let position = 1; position < word.length; position++) {
    const letter = word[position]!;
    const option = `-${letter}`;
    const takesValue = table.shortWithValue.includes(letter);
    const rest = word.slice(position + 1);
    const usesNext = takesValue && rest === "";
    let value: Word | undefined;
    if (takesValue) {
      value = usesNext ? args[index + 1] : rest;
    } else if (table.shortOptional?.includes(letter) === true && rest !== "") {
      value = rest;
    }
    if (usesNext && value === null) {
      return { effect: "unreadable", option, index: index + 1 };
    }
    const effect = table.effects[option];
    if (effect !== undefined && !(effect === "writes" && value === "/dev/null")) {
      return { effect, option, index, ...(typeof value === "string" ? { target: value } : {}) };
    }
    if (value !== undefined) {
      return usesNext ? 1 : 0;
    }
  }
  return 0;
}
