import { Code, ConnectError } from "@connectrpc/connect";
import { ExecutionStatus, OutputStream } from "../client/src/index.js";
import type { ExecuteResponse } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

/** Reads events until the first output chunk, then returns the rest of the stream's iterator. */
async function waitForFirstOutput(events: AsyncIterable<ExecuteResponse>): Promise<{ executionId: string; rest: AsyncIterator<ExecuteResponse> }> {
  const iterator = events[Symbol.asyncIterator]();
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) {
      throw new Error("stream ended before any output");
    }
    if (value.event.case === "output") {
      return { executionId: value.executionId, rest: iterator };
    }
  }
}

async function readResult(iterator: AsyncIterator<ExecuteResponse>) {
  for (;;) {
    const { value, done } = await iterator.next();
    if (done) {
      throw new Error("stream ended without a result");
    }
    if (value.event.case === "result") {
      return value.event.value;
    }
  }
}

describe("timeouts", () => {
  test("timeout keeps output printed before it", async ({ session }) => {
    const started = Date.now();
    const outcome = await session.runPython('import time\nprint("step 1")\nprint("step 2")\ntime.sleep(3600)', { timeoutMs: 2000 });

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout).toBe("step 1\nstep 2\n");
    expect(outcome.result.message).toContain("timed out after 2000 ms");
    expect(Date.now() - started).toBeLessThan(2000 + 3000);
  });

  test("timeout of Python keeps the session's variables", async ({ session }) => {
    await session.runPython("kept = 7");
    const outcome = await session.runPython("while True: pass", { timeoutMs: 500 });
    const after = await session.runPython("print('alive', kept)");

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.result.interpreterRestarted).toBe(false);
    expect(after.stdout).toBe("alive 7\n");
  });

  test("timeout of a shell command ends its process group", async ({ session }) => {
    const outcome = await session.runShell("sleep 100 & sleep 200; echo unreachable", { timeoutMs: 500 });
    const survivors = await session.runShell("ps -eo args | grep -c '^sleep [12]00$' || true");

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout).toBe("");
    expect(survivors.stdout.trim()).toBe("0");
  });
});

describe("shell escalation", () => {
  test("shell ignoring SIGTERM is killed", async ({ session }) => {
    const outcome = await session.runShell("trap '' TERM; echo trapped; while true; do sleep 0.1; done", { timeoutMs: 300 });
    const after = await session.runShell("echo next");

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout).toBe("trapped\n");
    expect(outcome.result.signal).toBe(9);
    expect(outcome.result.interpreterRestarted).toBe(false);
    expect(after.stdout).toBe("next\n");
  });
});

describe("cancellation", () => {
  test("cancel interrupts and keeps variables", async ({ client, session }) => {
    await session.runPython("x = 7");
    const { executionId, rest } = await waitForFirstOutput(session.streamPython("print('looping', flush=True)\nwhile True: pass"));

    const { cancelled } = await client.executions.cancelExecution({ executionId });
    const result = await readResult(rest);
    const after = await session.runPython('print("alive", x)');

    expect(cancelled).toBe(true);
    expect(result.status).toBe(ExecutionStatus.CANCELLED);
    expect(result.interpreterRestarted).toBe(false);
    expect(after.stdout).toBe("alive 7\n");
  });

  test("swallowed interrupt escalates to a kill", async ({ client, session }) => {
    await session.runPython("x = 7");
    const code = "while True:\n    try:\n        print('tick', flush=True)\n        while True: pass\n    except KeyboardInterrupt:\n        pass";
    const { executionId, rest } = await waitForFirstOutput(session.streamPython(code));

    await client.executions.cancelExecution({ executionId });
    const result = await readResult(rest);
    const after = await session.runPython("print(x)");
    const info = await session.refresh();

    expect(result.status).toBe(ExecutionStatus.CANCELLED);
    expect(result.interpreterRestarted).toBe(true);
    expect(result.message).toContain("variables are lost");
    expect(after.error?.name).toBe("NameError");
    expect(info.interpreterRestarts).toBe(1);
  });

  test("caller that goes away cancels its execution", async ({ session }) => {
    await session.runPython("x = 7");
    const abort = new AbortController();
    const events = session.streamPython("import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)", { signal: abort.signal });

    let ticks = 0;
    await expect(
      (async () => {
        for await (const event of events) {
          if (event.event.case === "output" && ++ticks === 3) {
            abort.abort();
          }
        }
      })(),
    ).rejects.toThrow();
    const after = await session.runPython('print("ok", x)');

    expect(ticks).toBe(3);
    expect(after.stdout).toBe("ok 7\n");
  });

  test("cancel of a queued execution ends it unrun", async ({ client, session }) => {
    const blocker = waitForFirstOutput(session.streamPython("import time\nprint('busy', flush=True)\ntime.sleep(1)"));
    const queued = session.streamPython("open('ran.txt', 'w').write('yes')")[Symbol.asyncIterator]();
    const first = await queued.next();
    const executionId = first.value!.executionId;

    const { cancelled } = await client.executions.cancelExecution({ executionId });
    const result = await readResult(queued);
    await readResult((await blocker).rest);
    const marker = await session.runShell("test -e ran.txt && echo present || echo absent");

    expect(first.value!.event.case).toBe("started");
    expect(cancelled).toBe(true);
    expect(result.status).toBe(ExecutionStatus.CANCELLED);
    expect(marker.stdout).toBe("absent\n");
  });

  test("cancel of a finished execution returns false", async ({ client, session }) => {
    const outcome = await session.runPython("1");

    const { cancelled } = await client.executions.cancelExecution({ executionId: outcome.executionId });

    expect(cancelled).toBe(false);
  });
});

describe("stream output", () => {
  async function collect(events: AsyncIterable<ExecuteResponse>): Promise<ExecuteResponse[]> {
    const collected: ExecuteResponse[] = [];
    for await (const event of events) {
      collected.push(event);
    }
    return collected;
  }

  test("attach replays from a sequence number", async ({ client, session }) => {
    const outcome = await session.runPython("for i in range(3): print(i, flush=True)");

    const all = await collect(client.executions.streamOutput({ executionId: outcome.executionId, fromSeq: 0n }));
    const fromThird = await collect(client.executions.streamOutput({ executionId: outcome.executionId, fromSeq: 3n }));

    expect(all.map((event) => event.seq)).toEqual(all.map((_, index) => BigInt(index + 1)));
    expect(all[0]!.event.case).toBe("started");
    expect(all.at(-1)!.event.case).toBe("result");
    expect(fromThird).toEqual(all.slice(2));
  });

  test("attach follows a running execution live", async ({ client, session }) => {
    const { executionId, rest } = await waitForFirstOutput(session.streamPython("import time\nprint('a', flush=True)\ntime.sleep(0.5)\nprint('b')"));

    const attached = await collect(client.executions.streamOutput({ executionId, fromSeq: 0n }));
    await readResult(rest);

    const stdout = attached.flatMap((event) => (event.event.case === "output" && event.event.value.stream === OutputStream.STDOUT ? [event.event.value.content.value] : []));
    expect(stdout.join("")).toBe("a\nb\n");
    expect(attached.at(-1)!.event.case).toBe("result");
  });

  test("unknown execution is not found", async ({ client }) => {
    await expect(collect(client.executions.streamOutput({ executionId: "exe_unknown", fromSeq: 0n }))).rejects.toThrow(/not found/);
  });
});

describe("detach and deadlines", () => {
  test("detached execution replays every byte once", async ({ client, session }) => {
    const abort = new AbortController();
    const code = "import time\nfor i in range(40):\n    print(f'line {i}', flush=True)\n    time.sleep(0.02)";
    const events = session.streamPython(code, { detach: true, signal: abort.signal });
    const { executionId } = await waitForFirstOutput(events);
    abort.abort();

    const attached: ExecuteResponse[] = [];
    for await (const event of client.executions.streamOutput({ executionId, fromSeq: 0n })) {
      attached.push(event);
    }

    const stdout = attached.flatMap((event) => (event.event.case === "output" && event.event.value.content.case === "text" ? [event.event.value.content.value] : []));
    const result = attached.at(-1)!.event;
    expect(stdout.join("")).toBe(Array.from({ length: 40 }, (_, index) => `line ${index}\n`).join(""));
    expect(attached.map((event) => event.seq)).toEqual(attached.map((_, index) => BigInt(index + 1)));
    expect(result).toMatchObject({ case: "result", value: { status: ExecutionStatus.OK } });
  });

  test("caller deadline cancels its execution", async ({ client, session }) => {
    await session.runPython("x = 7");
    let executionId = "";
    const request = { sessionId: session.id, task: { case: "python" as const, value: { code: "import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.1)" } } };

    const error = await (async () => {
      try {
        for await (const event of client.executions.execute(request, { timeoutMs: 700 })) {
          executionId = event.executionId;
        }
      } catch (caught) {
        return ConnectError.from(caught);
      }
      throw new Error("expected the deadline to end the call");
    })();
    const result = await readResult(client.executions.streamOutput({ executionId, fromSeq: 0n })[Symbol.asyncIterator]());
    const after = await session.runPython('print("ok", x)');

    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(result.status).toBe(ExecutionStatus.CANCELLED);
    expect(result.message).toContain("deadline passed");
    expect(after.stdout).toBe("ok 7\n");
  });
});

describe("long call inside C", () => {
  test("big power is stopped", async ({ session }) => {
    const outcome = await session.runPython("print('computing', flush=True)\n10 ** (10 ** 8)", { timeoutMs: 1500 });
    const after = await session.runPython("print('next')");

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout).toBe("computing\n");
    expect(after.stdout).toBe("next\n");
  });

  test("signal-blind C call is killed", async ({ session }) => {
    await session.runPython("x = 7");

    const outcome = await session.runPython("print('summing', flush=True)\nsum(range(10 ** 15))", { timeoutMs: 300 });
    const after = await session.runPython("print('fresh' if 'x' not in globals() else 'old')");

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout).toBe("summing\n");
    expect(outcome.result.interpreterRestarted).toBe(true);
    expect(outcome.result.message).toContain("so the interpreter was killed and its variables are lost");
    expect(after.stdout).toBe("fresh\n");
  });
});

describe("stop status", () => {
  test("handled interrupt still times out", async ({ session }) => {
    const code = "import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print('caught')";

    const outcome = await session.runPython(code, { timeoutMs: 300 });

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout).toBe("caught\n");
    expect(outcome.result.interpreterRestarted).toBe(false);
  });
});

describe("unresponsive sandbox", () => {
  test("stopped supervisor still times out", async ({ session }) => {
    await session.runShell("echo kept > file.txt");
    const started = Date.now();

    const outcome = await session.runShell("kill -STOP $PPID; sleep 60", { timeoutMs: 500 });
    const elapsedMs = Date.now() - started;
    const after = await session.runShell("cat file.txt");

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.result.message).toContain("the sandbox did not respond, so it was replaced");
    expect(outcome.result.interpreterRestarted).toBe(true);
    // The timeout, then one grace period for SIGTERM and one for SIGKILL.
    expect(elapsedMs).toBeLessThan(500 + 2 * 2000 + 2000);
    expect(after.stdout).toBe("kept\n");
  });
});

describe("interrupt traceback", () => {
  test("ends in the session's code", async ({ session }) => {
    const outcome = await session.runPython("import time\ntime.sleep(60)", { timeoutMs: 300 });

    expect(outcome.error?.name).toBe("KeyboardInterrupt");
    expect(outcome.error?.traceback).toMatch(/line 2, in <module>\n {4}time\.sleep\(60\)\nKeyboardInterrupt\n$/);
    expect(outcome.error?.traceback).not.toContain("seatbelt_runtime");
  });
});

describe("working directory", () => {
  test("missing workdir is named in the error", async ({ session }) => {
    const outcome = await session.runShell("pwd", { workdir: "nope" });

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.result.message).toBe("workdir 'nope' is not a directory in the sandbox; a relative workdir starts at the workspace");
  });

  test("relative workdir starts at the workspace", async ({ session }) => {
    await session.runShell("mkdir sub");

    const outcome = await session.runShell("pwd", { workdir: "sub" });

    expect(outcome.stdout).toBe(`${session.info.workspaceDir}/sub\n`);
  });
});
