import { setTimeout as sleep } from "node:timers/promises";
import { type ExecuteResponse, ExecutionStatus, OutputStream, type SeatbeltClient, createSeatbeltClient } from "../client/src/index.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { describe, expect, startTestServer, test as base } from "./support/fixtures.js";

/** Bytes of events the test server keeps per execution: its minimum. */
const RETAINED_EVENT_BYTES = 64 * 1024;

/** A server that keeps few events and sends keepalives often, so that both show in short tests. */
const test = base.extend<{ server: SeatbeltServer; client: SeatbeltClient }>({
  server: [
    async ({}, use) => {
      const server = await startTestServer({ retainedEventBytes: RETAINED_EVENT_BYTES, keepaliveIntervalMs: 200 });
      await use(server);
      await server.close();
    },
    { scope: "file" },
  ],
  client: async ({ server }, use) => {
    await use(createSeatbeltClient({ baseUrl: server.url }));
  },
});

async function collect(events: AsyncIterable<ExecuteResponse>): Promise<ExecuteResponse[]> {
  const collected: ExecuteResponse[] = [];
  for await (const event of events) {
    collected.push(event);
  }
  return collected;
}

function getText(events: readonly ExecuteResponse[], stream: OutputStream): string {
  return events
    .flatMap((response) => (response.event.case === "output" && response.event.value.stream === stream ? [response.event.value.content] : []))
    .map((content) => (content.case === "text" ? content.value : Buffer.from(content.value ?? []).toString()))
    .join("");
}

describe("retention", () => {
  test("late subscriber gets the dropped range", async ({ client }) => {
    const session = await client.createSession();
    const outcome = await session.runPython("for i in range(300):\n    print(str(i).rjust(1000, '.'), flush=True)");

    const events = await collect(client.executions.streamOutput({ executionId: outcome.executionId, fromSeq: 0n }));
    const fromTwo = await collect(client.executions.streamOutput({ executionId: outcome.executionId, fromSeq: 2n }));
    await session.close();

    const dropped = events[0]!.event;
    expect(dropped).toMatchObject({ case: "eventsDropped", value: { firstSeq: 1n } });
    const lastDropped = dropped.case === "eventsDropped" ? dropped.value.lastSeq : 0n;
    expect(events[1]!.seq).toBe(lastDropped + 1n);
    expect(events.slice(1).map((event) => event.seq)).toEqual(events.slice(1).map((_, index) => lastDropped + 1n + BigInt(index)));
    expect(events.at(-1)!.event.case).toBe("result");
    expect(getText(events, OutputStream.STDOUT).endsWith(`${"299".padStart(1000, ".")}\n`)).toBe(true);
    expect(fromTwo[0]!.event).toMatchObject({ case: "eventsDropped", value: { firstSeq: 2n, lastSeq: lastDropped } });
  });

  test("slow reader keeps memory bounded", async ({ client, server }) => {
    const session = await client.createSession();
    const iterator = session.streamPython("while True:\n    print('x' * 1024)")[Symbol.asyncIterator]();
    const started = await iterator.next();
    const executionId = started.value!.executionId;

    // The client reads nothing for a while, as a stalled consumer would.
    await sleep(1500);
    const retainedWhileStalled = server.registry.findExecution(executionId)!.execution.retainedBytes;
    const { cancelled } = await client.executions.cancelExecution({ executionId });
    const rest: ExecuteResponse[] = [];
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
      rest.push(next.value);
    }
    await session.close();

    expect(retainedWhileStalled).toBeLessThanOrEqual(RETAINED_EVENT_BYTES);
    expect(cancelled).toBe(true);
    expect(rest.some((event) => event.event.case === "eventsDropped")).toBe(true);
    expect(rest.at(-1)!.event).toMatchObject({ case: "result", value: { status: ExecutionStatus.CANCELLED } });
  });
});

describe("keepalive", () => {
  test("quiet stream carries keepalives", async ({ client }) => {
    const session = await client.createSession();

    const events = await collect(session.streamPython("import time\ntime.sleep(1)\nprint('done')"));
    await session.close();

    const keepalives = events.filter((event) => event.event.case === "keepalive");
    const sequenced = events.filter((event) => event.event.case !== "keepalive");
    expect(keepalives.length).toBeGreaterThan(0);
    expect(keepalives.every((event) => event.seq === 0n)).toBe(true);
    expect(sequenced.map((event) => event.seq)).toEqual(sequenced.map((_, index) => BigInt(index + 1)));
    expect(getText(events, OutputStream.STDOUT)).toBe("done\n");
  });
});

describe("output cap", () => {
  test("session reports its output cap", async ({ client }) => {
    const session = await client.createSession({ limits: { outputBytes: 1000n } });

    const fetched = await session.refresh();
    await session.close();

    expect(session.info.limits?.outputBytes).toBe(1000n);
    expect(fetched.limits?.outputBytes).toBe(1000n);
  });

  test("capped output keeps head and tail", async ({ client }) => {
    const session = await client.createSession({ limits: { outputBytes: 1000n } });

    const events = await collect(
      session.streamPython("import sys\nsys.stdout.write('h' * 500 + 'm' * 10000)\nsys.stderr.write('e' * 20)\nsys.stdout.write('t' * 480)\nsys.stdout.flush()"),
    );
    const after = await session.runPython("print('small')");
    await session.close();

    const truncatedAt = events.findIndex((event) => event.event.case === "outputTruncated");
    const truncated = events[truncatedAt]!.event;
    const result = events.at(-1)!.event;
    expect(getText(events.slice(0, truncatedAt), OutputStream.STDOUT)).toBe("h".repeat(500));
    expect(getText(events.slice(truncatedAt), OutputStream.STDOUT)).toBe("t".repeat(480));
    expect(getText(events, OutputStream.STDERR)).toBe("e".repeat(20));
    expect(truncated).toMatchObject({ case: "outputTruncated", value: { stdoutBytes: 10_000n, stderrBytes: 0n } });
    expect(result).toMatchObject({ case: "result", value: { status: ExecutionStatus.OK, outputDroppedBytes: 10_000n } });
    expect(result.value).toHaveProperty(
      "message",
      expect.stringContaining("output exceeded the cap of 1000 bytes: the first 500 and the last 500 bytes were kept and the 10000 bytes between them dropped"),
    );
    expect(after.stdout).toBe("small\n");
    expect(after.result.outputDroppedBytes).toBe(0n);
  });

  test("stopped capped output keeps its tail", async ({ client }) => {
    const session = await client.createSession({ limits: { outputBytes: 2000n } });

    const outcome = await session.runShell("yes | head -c 100000; echo last; sleep 60", { timeoutMs: 1000 });
    await session.close();

    expect(outcome.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(outcome.stdout.startsWith("y\n".repeat(500))).toBe(true);
    expect(outcome.stdout.endsWith("y\nlast\n")).toBe(true);
    expect(outcome.stdoutBytes.length).toBe(2000);
    expect(outcome.result.message).toContain("timed out after 1000 ms; output exceeded the cap of 2000 bytes");
  });
});
