import { createInterface } from "node:readline";
import type { SeatbeltSession } from "../session.js";
import { type Terminal, runTask } from "./run.js";

/**
 * Returns whether a line opens an indented block, so that the prompt reads
 * more lines, until an empty one, before it runs the cell.
 */
export function opensBlock(line: string): boolean {
  return /:\s*(#.*)?$/.test(line) || line.endsWith("\\");
}

/**
 * Reads Python from `input` line by line and runs each statement, or each
 * block ended by an empty line, in the session, like Python's own prompt.
 * Prompts are shown only when `input` is a terminal. Ctrl-C cancels the
 * running cell; Ctrl-D ends the prompt.
 */
export async function runRepl(session: SeatbeltSession, input: NodeJS.ReadableStream & { isTTY?: boolean }, terminal: Terminal): Promise<number> {
  const interactive = input.isTTY === true;
  const lines = createInterface({ input, output: interactive ? terminal.stdout : undefined, terminal: interactive });
  let running: AbortController | undefined;
  lines.on("SIGINT", () => {
    if (running !== undefined) {
      running.abort();
    } else {
      lines.close();
    }
  });

  const prompt = (text: string) => {
    if (interactive) {
      lines.setPrompt(text);
      lines.prompt();
    }
  };
  if (interactive) {
    terminal.stdout.write(`Python in Seatbelt session ${session.id}; Ctrl-D ends it.\n`);
  }

  let block: string[] = [];
  prompt(">>> ");
  for await (const line of lines) {
    if (block.length > 0 ? line.trim() !== "" : opensBlock(line)) {
      block.push(line);
      prompt("... ");
      continue;
    }
    const code = [...block, line].join("\n");
    block = [];
    if (code.trim() !== "") {
      running = new AbortController();
      await runTask(session, { kind: "python", code }, terminal, running.signal).catch((error: unknown) => {
        terminal.stderr.write(terminal.paintError(`${(error as Error).message}\n`, "red"));
      });
      running = undefined;
    }
    prompt(">>> ");
  }
  return 0;
}
