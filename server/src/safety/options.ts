import { Code, ConnectError } from "@connectrpc/connect";
import type { SafetySettings } from "../gen/seatbelt/v1/session_pb.js";

/** Dangerous Python built-ins that authorized_functions chooses from. */
export const DANGEROUS_FUNCTIONS = [
  "exec",
  "eval",
  "compile",
  "__import__",
  "open",
  "input",
  "breakpoint",
  // These three return namespace dictionaries, from which __builtins__ and
  // every name that the lists keep away can be read.
  "globals",
  "locals",
  "vars",
] as const;

/** Shell commands allowed when bypass_shell_safety is false, before additions. */
export const DEFAULT_SAFE_SHELL_COMMANDS = [
  "ls", "cat", "grep", "egrep", "fgrep", "head", "tail", "wc", "sort", "uniq", "cut", "tr", "pwd", "echo", "printf",
  "date", "which", "file", "stat", "du", "df", "uname", "whoami", "find", "basename", "dirname", "realpath",
  "readlink", "true", "false", "test", "[", "diff", "cmp", "comm", "nl", "tac", "rev", "seq", "sleep", "md5sum",
  "sha1sum", "sha256sum", "base64", "od", "hexdump", "column", "paste", "join", "fold", "expand", "unexpand",
  "hostname", "printenv", "locale", "nproc", "free", "uptime",
] as const;

/** Shell operators allowed when bypass_shell_safety is false, before additions. */
export const DEFAULT_SAFE_OPERATORS = ["&&", "||", ";", "|"] as const;

/** Every operator that additional_safe_control_operators may name. */
export const KNOWN_OPERATORS = [...DEFAULT_SAFE_OPERATORS, "&", "newline", ">", ">>", ">&", "<&", "<>", ">|"] as const;

/** Maximum number of entries in one list of the safety settings. @default 1024 */
export const MAX_SAFETY_LIST_ENTRIES = 1024;
/** Maximum length of an entry of the safety settings, in characters. @default 256 */
export const MAX_SAFETY_ENTRY_CHARS = 256;

/**
 * Python checks of a session. A list that is null allows everything of its
 * kind; an empty list allows nothing.
 */
export interface PythonSafetyPolicy {
  readonly authorizedImports: readonly string[] | null;
  readonly authorizedFunctions: readonly string[] | null;
  readonly checkStringObfuscation: boolean;
}

/** Shell checks of a session: "all", or the names allowed. */
export interface ShellSafetyPolicy {
  readonly commands: ReadonlySet<string> | "all";
  readonly operators: ReadonlySet<string> | "all";
}

/** Safety settings after validation; undefined turns the checks of that language off. */
export interface SafetyOptions {
  readonly python: PythonSafetyPolicy | undefined;
  readonly shell: ShellSafetyPolicy | undefined;
}

/** Safety options of a session that sets none: nothing is checked. */
export const NO_SAFETY: SafetyOptions = { python: undefined, shell: undefined };

const MODULE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(\.\*)?$/;

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

function checkList(field: string, values: readonly string[], isValid: (value: string) => boolean, expected: string): string[] {
  if (values.length > MAX_SAFETY_LIST_ENTRIES) {
    throw invalid(`safety.${field} has ${values.length} entries; the maximum is ${MAX_SAFETY_LIST_ENTRIES}`);
  }
  for (const value of values) {
    if (value.length > MAX_SAFETY_ENTRY_CHARS || !(value === "*" || isValid(value))) {
      throw invalid(`safety.${field} entry ${JSON.stringify(value.slice(0, 80))} is invalid: expected ${expected}, or "*"`);
    }
  }
  return [...new Set(values)];
}

function validatePythonPolicy(settings: SafetySettings): PythonSafetyPolicy | undefined {
  const imports = settings.authorizedImports?.values;
  const functions = settings.authorizedFunctions?.values;
  const authorizedImports =
    imports === undefined ? null : checkList("authorized_imports", imports, (value) => MODULE_PATTERN.test(value), 'a dotted module name, optionally ending in ".*"');
  const authorizedFunctions =
    functions === undefined
      ? null
      : checkList("authorized_functions", functions, (value) => (DANGEROUS_FUNCTIONS as readonly string[]).includes(value), `one of ${DANGEROUS_FUNCTIONS.join(", ")}`);
  if (authorizedImports === null && authorizedFunctions === null && !settings.checkStringObfuscation) {
    return undefined;
  }
  return { authorizedImports, authorizedFunctions, checkStringObfuscation: settings.checkStringObfuscation };
}

function extendSet(base: readonly string[], additions: readonly string[]): ReadonlySet<string> | "all" {
  return base.includes("*") || additions.includes("*") ? "all" : new Set([...base, ...additions]);
}

function validateShellPolicy(settings: SafetySettings): ShellSafetyPolicy | undefined {
  const isCommand = (value: string) => value !== "" && !/[\s/\0]/.test(value);
  const commandHint = "a command name without slashes or spaces";
  const isOperator = (value: string) => (KNOWN_OPERATORS as readonly string[]).includes(value);
  const operatorHint = `one of ${KNOWN_OPERATORS.join(" ")}`;
  const baseCommands = settings.safeShellCommands === undefined ? DEFAULT_SAFE_SHELL_COMMANDS : checkList("safe_shell_commands", settings.safeShellCommands.values, isCommand, commandHint);
  const baseOperators = settings.safeControlOperators === undefined ? DEFAULT_SAFE_OPERATORS : checkList("safe_control_operators", settings.safeControlOperators.values, isOperator, operatorHint);
  const commands = checkList("additional_safe_shell_commands", settings.additionalSafeShellCommands, isCommand, commandHint);
  const operators = checkList("additional_safe_control_operators", settings.additionalSafeControlOperators, isOperator, operatorHint);
  // An unset bypass_shell_safety skips the checks, because the sandbox is
  // the boundary. Only an explicit false turns them on, and a list that
  // would have no effect is rejected rather than ignored.
  if (settings.bypassShellSafety !== false) {
    const given = [
      settings.safeShellCommands !== undefined && "safe_shell_commands",
      settings.safeControlOperators !== undefined && "safe_control_operators",
      commands.length > 0 && "additional_safe_shell_commands",
      operators.length > 0 && "additional_safe_control_operators",
    ].filter((field) => field !== false);
    if (given.length > 0) {
      const bypass = settings.bypassShellSafety === undefined ? "unset" : "true";
      throw invalid(`safety.${given.join(" and safety.")} set while bypass_shell_safety is ${bypass}, so the shell is not checked; set bypass_shell_safety to false to apply them`);
    }
    return undefined;
  }
  return { commands: extendSet(baseCommands, commands), operators: extendSet(baseOperators, operators) };
}

/**
 * Turns the request's safety settings into a fully defaulted policy. No
 * settings, or settings that restrict nothing, give NO_SAFETY, so that such
 * a session pays nothing for the checks.
 * @throws ConnectError INVALID_ARGUMENT for an entry that no check recognises.
 */
export function validateSafetySettings(settings: SafetySettings | undefined): SafetyOptions {
  if (settings === undefined) {
    return NO_SAFETY;
  }
  return { python: validatePythonPolicy(settings), shell: validateShellPolicy(settings) };
}
