import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type ExecuteResponse, ExecutionStatus, OutputStream, type SeatbeltSession, createSeatbeltClient } from "../client/src/index.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";
import { type HostProcess, findRunningSurvivors, listHostProcesses, listProcessTree } from "./support/processes.js";

/** Upper bound for an execution whose foreground work is instant. A hang would last as long as its background `sleep`. */
const QUICK_COMPLETION_MS = 3_000;

/** One event of an execution and when the client received it. */
interface TimedEvent {
  readonly receivedAtMs: number;
  readonly response: ExecuteResponse;
}

async function collectTimed(events: AsyncIterable<ExecuteResponse>): Promise<TimedEvent[]> {
  const timed: TimedEvent[] = [];
  for await (const response of events) {
    timed.push({ receivedAtMs: performance.now(), response });
  }
  return timed;
}

function getStdout(events: readonly TimedEvent[]): string {
  return events
    .map(({ response }) => response.event)
    .filter((event) => event.case === "output" && event.value.stream === OutputStream.STDOUT)
    .map((event) => (event.case === "output" && event.value.content.case === "text" ? event.value.content.value : ""))
    .join("");
}

function getFirstOutputTime(events: readonly TimedEvent[]): number {
  const first = events.find(({ response }) => response.event.case === "output");
  if (first === undefined) {
    throw new Error("execution produced no output");
  }
  return first.receivedAtMs;
}

function getResultTime(events: readonly TimedEvent[]): number {
  const result = events.find(({ response }) => response.event.case === "result");
  if (result === undefined) {
    throw new Error("execution ended without a result");
  }
  return result.receivedAtMs;
}

function getQueuePosition(events: readonly TimedEvent[]): number | undefined {
  const started = events[0]?.response.event;
  return started?.case === "started" ? started.value.queuePosition : undefined;
}

/** Python code that prints the letter five times, 0.1 s apart. */
function printLetterFiveTimes(letter: string, pauseSeconds = 0.1): string {
  return ["import time", "for _ in range(5):", `    print(${JSON.stringify(letter)}, flush=True)`, `    time.sleep(${pauseSeconds})`].join("\n");
}

/** Returns a sleep duration that no other process on the host uses, so that the test can find its process by argv. */
function createUniqueSleepSeconds(): string {
  return `300.${randomInt(100_000, 1_000_000)}`;
}

function findHostProcess(pid: number): HostProcess {
  const found = listHostProcesses().find((process) => process.pid === pid);
  if (found === undefined) {
    throw new Error(`process ${pid} not found in /proc`);
  }
  return found;
}

/** Returns the running `sleep SECONDS` processes of the host. */
function findSleepProcesses(seconds: string): HostProcess[] {
  return listHostProcesses().filter(
    (process) => !process.zombie && process.argv.length === 2 && process.argv[0] === "sleep" && process.argv[1] === seconds,
  );
}

function getSandboxProcess(server: SeatbeltServer, sessionId: string): HostProcess {
  const pid = server.registry.get(sessionId)?.sandboxPid;
  if (pid === undefined) {
    throw new Error(`session ${sessionId} has no sandbox process`);
  }
  return findHostProcess(pid);
}

/** Polls the session until it reports late output bytes, or until timeoutMs has passed. */
async function waitForLateOutput(session: SeatbeltSession, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while ((await session.refresh()).lateOutputBytes === 0n && performance.now() < deadline) {
    await sleep(100);
  }
}

function listCommandLines(processes: readonly HostProcess[]): string[] {
  return processes.map((process) => process.argv.join(" "));
}

/** Starts one background `sleep` from a shell command and one from Python, and returns their durations. */
async function startBackgroundSleeps(session: SeatbeltSession): Promise<{ shellSeconds: string; pythonSeconds: string }> {
  const shellSeconds = createUniqueSleepSeconds();
  const pythonSeconds = createUniqueSleepSeconds();

  const shell = await session.runShell(`sleep ${shellSeconds} & echo started`);
  const python = await session.runPython(`import subprocess\nchild = subprocess.Popen(["sleep", "${pythonSeconds}"])`);

  expect(shell.status).toBe(ExecutionStatus.OK);
  expect(python.status).toBe(ExecutionStatus.OK);
  return { shellSeconds, pythonSeconds };
}

describe("session state", () => {
  test("variables and imports persist", async ({ session }) => {
    const define = await session.runPython("x = 42\nimport math\ndef f(n): return n * 2");
    const use = await session.runPython("print(x, math.pi, f(21))");

    expect(define.status).toBe(ExecutionStatus.OK);
    expect(use.status).toBe(ExecutionStatus.OK);
    expect(use.stdout).toBe("42 3.141592653589793 42\n");
  });

  test("other sessions do not share variables", async ({ session, client }) => {
    await session.runPython("x = 42");
    const other = await client.createSession();

    try {
      const outcome = await other.runPython("print(x)");

      expect(outcome.status).toBe(ExecutionStatus.ERROR);
      expect(outcome.error?.name).toBe("NameError");
      expect(outcome.stdout).toBe("");
    } finally {
      await other.close();
    }
  });

  test("unpicklable values survive between executions", async ({ session }) => {
    const define = await session.runPython(
      [
        "import threading",
        "def square(n):",
        "    return n * n",
        "triple = lambda n: n * 3",
        "def count():",
        "    yield 0",
        "    yield 1",
        "gen = count()",
        "lock = threading.Lock()",
        'fh = open("kept-open.txt", "w")',
        "s = {1, 2}",
        "fs = frozenset({3})",
      ].join("\n"),
    );
    const use = await session.runPython("print(triple(5), square(4), s, fs, next(gen), lock.locked(), fh.closed)");
    const writeThroughHandle = await session.runPython('fh.write("still open\\n")\nfh.close()\nprint(open("kept-open.txt").read(), end="")');

    expect(define.status).toBe(ExecutionStatus.OK);
    expect(use.stdout).toBe("15 16 {1, 2} frozenset({3}) 0 False False\n");
    expect(writeThroughHandle.stdout).toBe("still open\n");
  });
});

describe("execution order", () => {
  test("executions on one session never interleave", async ({ session }) => {
    const runs = await Promise.all(
      ["A", "B"].map(async (letter) => ({ letter, events: await collectTimed(session.streamPython(printLetterFiveTimes(letter))) })),
    );

    for (const run of runs) {
      expect(getStdout(run.events)).toBe(`${run.letter}\n`.repeat(5));
    }
    const [first, second] = [...runs].sort((a, b) => (getQueuePosition(a.events) ?? -1) - (getQueuePosition(b.events) ?? -1));
    expect(getQueuePosition(first!.events)).toBe(0);
    expect(getQueuePosition(second!.events)).toBe(1);
    expect(getFirstOutputTime(second!.events)).toBeGreaterThanOrEqual(getResultTime(first!.events));
  });

  test("separate sessions run in parallel", async ({ session, client }) => {
    const other = await client.createSession();
    const code = printLetterFiveTimes("P", 0.2);

    try {
      const [mine, theirs] = await Promise.all([collectTimed(session.streamPython(code)), collectTimed(other.streamPython(code))]);

      expect(getStdout(mine)).toBe("P\n".repeat(5));
      expect(getStdout(theirs)).toBe("P\n".repeat(5));
      expect(getFirstOutputTime(mine)).toBeLessThan(getResultTime(theirs));
      expect(getFirstOutputTime(theirs)).toBeLessThan(getResultTime(mine));
    } finally {
      await other.close();
    }
  });
});

describe("background children", () => {
  test("shell background child does not block", async ({ session }) => {
    const startedAt = performance.now();

    const outcome = await session.runShell(`sleep ${createUniqueSleepSeconds()} & echo started`);

    expect(performance.now() - startedAt).toBeLessThan(QUICK_COMPLETION_MS);
    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stdout).toBe("started\n");
  });

  test("python background child does not block", async ({ session }) => {
    const startedAt = performance.now();

    const outcome = await session.runPython(
      `import subprocess\nchild = subprocess.Popen(["sleep", "${createUniqueSleepSeconds()}"])\nprint("spawned")`,
    );

    expect(performance.now() - startedAt).toBeLessThan(QUICK_COMPLETION_MS);
    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.stdout).toBe("spawned\n");
  });

  test("leftover children keep running inside sandbox", async ({ session, server }) => {
    const sandbox = getSandboxProcess(server, session.id);

    const { shellSeconds, pythonSeconds } = await startBackgroundSleeps(session);

    const treePids = listProcessTree(sandbox).map((process) => process.pid);
    const leftovers = [...findSleepProcesses(shellSeconds), ...findSleepProcesses(pythonSeconds)];
    expect(leftovers.map((process) => process.argv[1])).toEqual([shellSeconds, pythonSeconds]);
    for (const leftover of leftovers) {
      expect(treePids).toContain(leftover.pid);
    }
  });

  test("late output of leftovers is discarded", async ({ session }) => {
    const first = await session.runShell("(sleep 0.5; echo late) & echo now");
    await waitForLateOutput(session, 5_000);
    const next = await session.runShell("echo next");

    expect(first.stdout).toBe("now\n");
    expect(next.stdout).toBe("next\n");
    expect((await session.refresh()).lateOutputBytes).toBe(BigInt("late\n".length));
  });

  test("deleting session ends all its processes", async ({ session, server }) => {
    const sandbox = getSandboxProcess(server, session.id);
    const { shellSeconds, pythonSeconds } = await startBackgroundSleeps(session);
    const treeBeforeDelete = listProcessTree(sandbox);

    await session.close();

    expect(listCommandLines(treeBeforeDelete)).toContain(`sleep ${shellSeconds}`);
    expect(listCommandLines(treeBeforeDelete)).toContain(`sleep ${pythonSeconds}`);
    expect(findRunningSurvivors(treeBeforeDelete)).toEqual([]);
    expect(listProcessTree(sandbox)).toEqual([]);
    expect(findSleepProcesses(shellSeconds)).toEqual([]);
    expect(findSleepProcesses(pythonSeconds)).toEqual([]);
  });

  test("restarting session ends all its processes", async ({ session, server }) => {
    const sandbox = getSandboxProcess(server, session.id);
    const { shellSeconds, pythonSeconds } = await startBackgroundSleeps(session);
    const treeBeforeRestart = listProcessTree(sandbox);

    await session.restart();
    const after = await session.runShell("echo still usable");

    expect(listCommandLines(treeBeforeRestart)).toContain(`sleep ${shellSeconds}`);
    expect(findRunningSurvivors(treeBeforeRestart)).toEqual([]);
    expect(findSleepProcesses(shellSeconds)).toEqual([]);
    expect(findSleepProcesses(pythonSeconds)).toEqual([]);
    expect(after.stdout).toBe("still usable\n");
  });

  test("stopping server ends all session processes", async () => {
    const server = await startTestServer();
    let treeBeforeStop: HostProcess[] = [];
    let sleeps = { shellSeconds: "", pythonSeconds: "" };

    try {
      const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();
      const sandbox = getSandboxProcess(server, session.id);
      sleeps = await startBackgroundSleeps(session);
      treeBeforeStop = listProcessTree(sandbox);
    } finally {
      await server.close();
    }

    expect(listCommandLines(treeBeforeStop)).toContain(`sleep ${sleeps.shellSeconds}`);
    expect(listCommandLines(treeBeforeStop)).toContain(`sleep ${sleeps.pythonSeconds}`);
    expect(findRunningSurvivors(treeBeforeStop)).toEqual([]);
    expect(findSleepProcesses(sleeps.shellSeconds)).toEqual([]);
    expect(findSleepProcesses(sleeps.pythonSeconds)).toEqual([]);
  });
});

describe("shared workspace", () => {
  test("shell reads file written by python", async ({ session }) => {
    const write = await session.runPython('with open("from-python.txt", "w") as file:\n    file.write("written by python\\n")');
    const read = await session.runShell("cat from-python.txt");

    expect(write.status).toBe(ExecutionStatus.OK);
    expect(read.status).toBe(ExecutionStatus.OK);
    expect(read.stdout).toBe("written by python\n");
  });

  test("python reads file written by shell", async ({ session }) => {
    const write = await session.runShell("echo 'written by shell' > from-shell.txt");
    const read = await session.runPython('print(open("from-shell.txt").read(), end="")');

    expect(write.status).toBe(ExecutionStatus.OK);
    expect(read.status).toBe(ExecutionStatus.OK);
    expect(read.stdout).toBe("written by shell\n");
  });

  test("workspace is the working directory", async ({ session }) => {
    const python = await session.runPython("import os\nprint(os.getcwd())");
    const shell = await session.runShell("pwd");

    expect(session.info.workspaceDir).not.toBe("");
    expect(python.stdout).toBe(`${session.info.workspaceDir}\n`);
    expect(shell.stdout).toBe(`${session.info.workspaceDir}\n`);
  });
});
