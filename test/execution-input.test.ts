import { Code } from "@connectrpc/connect";
import { type ExecuteResponse, ExecutionStatus, collectOutcome } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { rejectionOf } from "./support/connect-errors.js";

/** Reads events until the first output chunk and returns the execution's id and the rest of the stream. */
async function waitForFirstOutput(events: AsyncIterable<ExecuteResponse>): Promise<{ executionId: string; rest: AsyncIterable<ExecuteResponse> }> {
  const iterator = events[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) {
      throw new Error("stream ended before any output");
    }
    if (value.event.case === "output") {
      return { executionId: value.executionId, rest: { [Symbol.asyncIterator]: () => iterator } };
    }
  }
}

/** Reads the started event and returns the execution's id and the rest of the stream. */
async function readStarted(events: AsyncIterable<ExecuteResponse>): Promise<{ executionId: string; rest: AsyncIterable<ExecuteResponse> }> {
  const iterator = events[Symbol.asyncIterator]();
  const { value } = await iterator.next();
  return { executionId: value!.executionId, rest: { [Symbol.asyncIterator]: () => iterator } };
}


describe("stdin from the request", () => {
  test("Python input() reads the request's stdin", async ({ session }) => {
    const outcome = await session.runPython("a = input()\nb = input()\nprint(a.upper(), b)", { stdin: "hello\nworld\n" });

    expect(outcome.stdout).toBe("HELLO world\n");
  });

  test("Python reads EOF after stdin", async ({ session }) => {
    const outcome = await session.runPython("import sys\nprint(repr(sys.stdin.read()))", { stdin: "only this" });

    expect(outcome.stdout).toBe("'only this'\n");
  });

  test("shell read gets the request's stdin", async ({ session }) => {
    const outcome = await session.runShell('read line; echo "got $line"; cat', { stdin: "first\nsecond\n" });

    expect(outcome.stdout).toBe("got first\nsecond\n");
    expect(outcome.exitCode).toBe(0);
  });

  test("stdin does not leak onward", async ({ session }) => {
    await session.runPython("print(input())", { stdin: "one\ntwo\n" });

    const next = await session.runPython("import sys\nprint(repr(sys.stdin.read()))");

    expect(next.stdout).toBe("''\n");
  });
});

describe("SendInput", () => {
  test("interactive input() gets sent input", async ({ session }) => {
    const { executionId, rest } = await waitForFirstOutput(session.streamPython("name = input('name? ')\nprint('hi', name)", { keepStdinOpen: true }));

    await session.sendInput(executionId, "Ada\n");
    const outcome = await collectOutcome(rest);

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.stdout).toBe("hi Ada\n");
  });

  test("closing stdin ends a shell reader", async ({ session }) => {
    const { executionId, rest } = await readStarted(session.streamShell("cat; echo done", { keepStdinOpen: true }));

    await session.sendInput(executionId, "x");
    await session.sendInput(executionId, "y", true);
    const outcome = await collectOutcome(rest);

    expect(outcome.stdout).toBe("xydone\n");
  });

  test("queued execution gets held input", async ({ session }) => {
    const blocker = session.runPython("import time\ntime.sleep(0.5)");
    const { executionId, rest } = await readStarted(session.streamPython("print(input())", { keepStdinOpen: true }));

    await session.sendInput(executionId, "queued line\n", true);
    const outcome = await collectOutcome(rest);
    await blocker;

    expect(outcome.stdout).toBe("queued line\n");
  });

  test("input after close is FailedPrecondition", async ({ session }) => {
    const { executionId, rest } = await readStarted(session.streamShell("sleep 0.5"));

    const error = await rejectionOf(session.sendInput(executionId, "late"));
    await collectOutcome(rest);

    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("is closed; set keep_stdin_open");
  });

  test("input to a finished execution is FailedPrecondition", async ({ session }) => {
    const outcome = await session.runShell("true");

    const error = await rejectionOf(session.sendInput(outcome.executionId, "late"));

    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("has finished");
  });

  test("unread open stdin does not block", async ({ session }) => {
    const outcome = await session.runPython("print('no input needed')", { keepStdinOpen: true });

    expect(outcome.stdout).toBe("no input needed\n");
  });
});
