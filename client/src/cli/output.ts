import { ExecutionStatus } from "../gen/seatbelt/v1/execution_pb.js";
import type { ExecutionOutcome } from "../session.js";

/** Exit code of the CLI when the request could not be made or was rejected. */
export const EXIT_FAILURE = 1;
/** Exit code of the CLI for invalid command-line arguments. */
export const EXIT_USAGE = 2;

/** Writes text in a colour when the stream is a terminal and NO_COLOR is unset (https://no-color.org). */
export type Paint = (text: string, color: "red" | "dim" | "yellow") => string;

const COLOR_CODES = { red: 31, dim: 2, yellow: 33 } as const;

/** Returns a painter for a stream: ANSI colours on a terminal, plain text elsewhere. */
export function createPaint(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): Paint {
  const enabled = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  return (text, color) => (enabled ? `\u001b[${COLOR_CODES[color]}m${text}\u001b[0m` : text);
}

/**
 * Returns the CLI's exit code for an execution. A shell command gives its
 * own exit code, or 128 + N for signal N as shells report it. Python gives
 * 0 without error, the code of sys.exit, and 1 for any other failure.
 */
export function getExitCode(outcome: Pick<ExecutionOutcome, "status" | "exitCode" | "result">): number {
  if (outcome.exitCode !== undefined) {
    return outcome.exitCode;
  }
  if (outcome.result.signal !== undefined) {
    return 128 + outcome.result.signal;
  }
  return outcome.status === ExecutionStatus.OK ? 0 : EXIT_FAILURE;
}

/** Describes an execution that did not end normally, for stderr; undefined when it did. */
export function describeFailure(outcome: Pick<ExecutionOutcome, "status" | "result">): string | undefined {
  const { status, result } = outcome;
  if (status === ExecutionStatus.OK || status === ExecutionStatus.ERROR) {
    return undefined;
  }
  const name = ExecutionStatus[status].toLowerCase().replaceAll("_", " ");
  return result.message === "" ? `execution ${name}` : `execution ${name}: ${result.message}`;
}
