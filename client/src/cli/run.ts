import type { SeatbeltClient } from "../client.js";
import type { ExecutionOutcome, SeatbeltSession } from "../session.js";
import { type Paint, describeFailure, getExitCode } from "./output.js";

/** Output streams of the CLI and the colouring of errors. */
export interface Terminal {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly paintError: Paint;
}

/** Task to run: Python code or a shell command. */
export type Task = { readonly kind: "python"; readonly code: string } | { readonly kind: "shell"; readonly command: string };

/**
 * Runs a task in a session with its output live on the terminal, the final
 * expression's value and any Python error after it, and returns the CLI's
 * exit code. Ctrl-C (the signal) cancels the execution.
 */
export async function runTask(session: SeatbeltSession, task: Task, terminal: Terminal, signal: AbortSignal): Promise<number> {
  const options = {
    signal,
    onStdout: (_: string, bytes: Uint8Array) => terminal.stdout.write(bytes),
    onStderr: (text: string) => terminal.stderr.write(terminal.paintError(text, "red")),
  };
  const outcome: ExecutionOutcome = task.kind === "python" ? await session.runPython(task.code, options) : await session.runShell(task.command, options);

  if (outcome.value !== undefined) {
    terminal.stdout.write(`${outcome.value}\n`);
  }
  if (outcome.error !== undefined && outcome.error.name !== "SystemExit") {
    terminal.stderr.write(terminal.paintError(outcome.error.traceback || `${outcome.error.name}: ${outcome.error.value}\n`, "red"));
  }
  const failure = describeFailure(outcome);
  if (failure !== undefined) {
    terminal.stderr.write(terminal.paintError(`seatbelt: ${failure}\n`, "yellow"));
  }
  return getExitCode(outcome);
}

/**
 * Opens the session named by `sessionId`, or creates one; `release` deletes a
 * created session unless `keep` is set, in which case it prints its id.
 */
export async function openSession(client: SeatbeltClient, sessionId: string | undefined, keep: boolean, terminal: Terminal): Promise<{ session: SeatbeltSession; release: () => Promise<void> }> {
  if (sessionId !== undefined) {
    return { session: await client.getSession(sessionId), release: async () => {} };
  }
  const session = await client.createSession();
  const release = async () => {
    if (keep) {
      terminal.stderr.write(`seatbelt: kept session ${session.id}\n`);
    } else {
      await session.close();
    }
  };
  return { session, release };
}
