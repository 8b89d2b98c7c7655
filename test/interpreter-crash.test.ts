import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus, type SeatbeltSession, SessionState } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

async function waitForState(session: SeatbeltSession, state: SessionState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await session.refresh()).state !== state && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("interpreter crash", () => {
  test("death by signal is reported", async ({ session }) => {
    await session.runPython("x = 1");

    const outcome = await session.runPython("import os, signal\nprint('before', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)");
    const after = await session.runPython("print('fresh', 'x' in globals())");
    const info = await session.refresh();

    expect(outcome.status).toBe(ExecutionStatus.CRASHED);
    expect(outcome.stdout).toBe("before\n");
    expect(outcome.result.signal).toBe(9);
    expect(outcome.result.interpreterRestarted).toBe(true);
    expect(outcome.result.message).toContain("SIGKILL");
    expect(after.stdout).toBe("fresh False\n");
    expect(info.interpreterRestarts).toBe(1);
  });

  test("idle interpreter death is counted", async ({ session }) => {
    await session.runPython("import os, threading, time\nx = 1\nthreading.Thread(target=lambda: (time.sleep(0.2), os._exit(5))).start()");
    await new Promise((resolve) => setTimeout(resolve, 600));

    const info = await session.refresh();
    const after = await session.runPython("print('x' in globals())");

    expect(info.interpreterRestarts).toBe(1);
    expect(after.status).toBe(ExecutionStatus.OK);
    expect(after.stdout).toBe("False\n");
  });

  test("killed supervisor gets a new sandbox", async ({ session }) => {
    await session.runShell("echo kept > file.txt");
    await session.runPython("x = 1");

    const outcome = await session.runShell("echo before; kill -9 $PPID; sleep 5; echo unreachable");
    const after = await session.runPython("print(open('file.txt').read().strip(), 'x' in globals())");
    const info = await session.refresh();

    expect(outcome.status).toBe(ExecutionStatus.CRASHED);
    // The supervisor relays output, so what it had not read when it was
    // killed is gone; nothing written after that can arrive.
    expect(outcome.stdout).not.toContain("unreachable");
    expect(outcome.result.message).toContain("sandbox exited unexpectedly");
    expect(outcome.result.interpreterRestarted).toBe(true);
    expect(after.stdout).toBe("kept False\n");
    expect(info.interpreterRestarts).toBe(1);
  });
});

describe("deep recursion", () => {
  test("RecursionError keeps the session", async ({ session }) => {
    await session.runPython("x = 1");

    const outcome = await session.runPython("def g():\n    g()\ng()");
    const after = await session.runPython("print('x' in globals())");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.error?.name).toBe("RecursionError");
    expect(outcome.result.interpreterRestarted).toBe(false);
    expect(after.stdout).toBe("True\n");
  });

  test("C stack overflow reports SIGSEGV", async ({ session }) => {
    await session.runPython("x = 1");
    // Recursion through str() and __str__ uses the C stack, which a raised
    // recursion limit no longer protects.
    const code = "import sys\nsys.setrecursionlimit(10**7)\nclass G:\n    def __str__(self):\n        return str(G())\nstr(G())";

    const outcome = await session.runPython(code);
    const after = await session.runPython("print('x' in globals())");
    const info = await session.refresh();

    expect(outcome.status).toBe(ExecutionStatus.CRASHED);
    expect(outcome.result.signal).toBe(11);
    expect(outcome.result.message).toContain("signal 11 (SIGSEGV)");
    expect(outcome.result.interpreterRestarted).toBe(true);
    expect(info.interpreterRestarts).toBe(1);
    expect(after.stdout).toBe("False\n");
  });
});

describe("restart limit", () => {
  test("sandbox that keeps dying fails", async ({ session, client }) => {
    const outcomes = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      outcomes.push(await session.runShell("kill -9 $PPID; sleep 5"));
    }
    await waitForState(session, SessionState.FAILED, 5_000);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(Array(6).fill(ExecutionStatus.CRASHED));
    expect((await session.refresh()).state).toBe(SessionState.FAILED);
    await expect(session.runShell("echo never")).rejects.toSatisfy((error) => ConnectError.from(error).code === Code.FailedPrecondition);
    expect((await client.listSessions()).map((listed) => listed.sessionId)).toContain(session.id);
  });
});

describe("oversized results", () => {
  test("huge exception message is cut", async ({ session }) => {
    await session.runPython("kept = 1");

    const outcome = await session.runPython('raise ValueError("x" * 5_000_000)');
    const after = await session.runPython("print(kept)");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.error?.name).toBe("ValueError");
    expect(outcome.error?.value).toMatch(/… \[truncated: 4934464 more characters\]$/);
    expect(outcome.error?.traceback.length).toBeLessThan(70_000);
    expect(outcome.error?.traceback).toMatch(/^\[truncated: \d+ earlier characters\] …x+\n$/);
    expect(after.stdout).toBe("1\n");
  });

  test("broken exception str is reported", async ({ session }) => {
    const outcome = await session.runPython("class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\nraise Odd()");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.error?.name).toBe("Odd");
    expect(outcome.error?.value).toContain("str() of the exception failed");
  });
});
