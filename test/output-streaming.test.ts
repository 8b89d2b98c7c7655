import {
  type ExecuteResponse,
  type ExecutionResult,
  ExecutionStatus,
  type OutputChunk,
  OutputStream,
  type SeatbeltSession,
} from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

/** Largest output chunk that the server may send, in bytes. */
const MAX_CHUNK_BYTES = 64 * 1024;

/** Length at which the server cuts a final expression's repr. */
const MAX_VALUE_CHARS = 64 * 1024;

/** Timeout for executions that must end quickly, so that a hang shows up as TIMED_OUT. */
const SHORT_TIMEOUT_MS = 10_000;

const encoder = new TextEncoder();

/** One event of an execution and when it arrived. */
interface ReceivedEvent {
  readonly response: ExecuteResponse;
  /** Arrival time, from performance.now(). */
  readonly receivedAtMs: number;
}

/** One output chunk and when it arrived. */
interface ReceivedChunk {
  readonly chunk: OutputChunk;
  readonly receivedAtMs: number;
}

/** Reads an execution's events to the end and stamps each with its arrival time. */
async function collectEvents(events: AsyncIterable<ExecuteResponse>): Promise<ReceivedEvent[]> {
  const received: ReceivedEvent[] = [];
  for await (const response of events) {
    received.push({ response, receivedAtMs: performance.now() });
  }
  return received;
}

/** Returns the output chunks in arrival order, of one stream or of both. */
function getChunks(events: readonly ReceivedEvent[], stream?: OutputStream): ReceivedChunk[] {
  const chunks: ReceivedChunk[] = [];
  for (const { response, receivedAtMs } of events) {
    const event = response.event;
    if (event.case === "output" && (stream === undefined || event.value.stream === stream)) {
      chunks.push({ chunk: event.value, receivedAtMs });
    }
  }
  return chunks;
}

function getChunkBytes(chunk: OutputChunk): Uint8Array {
  switch (chunk.content.case) {
    case "text":
      return encoder.encode(chunk.content.value);
    case "data":
      return chunk.content.value;
    default:
      return new Uint8Array();
  }
}

/** Returns the text of each chunk and fails the test on a chunk sent as bytes. */
function getTexts(chunks: readonly ReceivedChunk[]): string[] {
  return chunks.map(({ chunk }) => {
    expect(chunk.content.case).toBe("text");
    return chunk.content.case === "text" ? chunk.content.value : "";
  });
}

/**
 * Rebuilds what the code wrote, in seq order, as [stream, text] entries.
 * Consecutive chunks of one stream are merged, because where the server cuts
 * a stream into chunks is not part of the contract.
 */
function buildTranscript(events: readonly ReceivedEvent[]): Array<[string, string]> {
  const ordered = [...events].sort((a, b) => Number(a.response.seq - b.response.seq));
  const transcript: Array<[string, string]> = [];
  for (const { chunk } of getChunks(ordered)) {
    const streamName = OutputStream[chunk.stream];
    const text = new TextDecoder().decode(getChunkBytes(chunk));
    const last = transcript.at(-1);
    if (last !== undefined && last[0] === streamName) {
      last[1] += text;
    } else {
      transcript.push([streamName, text]);
    }
  }
  return transcript;
}

/**
 * Checks the envelope that every Execute stream must have, and returns its
 * result. The started event comes first, seq runs 1, 2, 3, … across both
 * output streams, all events share one execution id, no chunk exceeds
 * 64 KiB, and exactly one result arrives, as the last event.
 */
function expectWellFormed(events: readonly ReceivedEvent[]): ExecutionResult {
  const responses = events.map(({ response }) => response);
  const chunkSizes = getChunks(events).map(({ chunk }) => getChunkBytes(chunk).length);

  expect(responses.length).toBeGreaterThanOrEqual(2);
  expect(responses[0]!.event.case).toBe("started");
  expect(responses.map(({ seq }) => seq)).toEqual(responses.map((_, index) => BigInt(index + 1)));
  expect(new Set(responses.map(({ executionId }) => executionId)).size).toBe(1);
  expect(Math.max(0, ...chunkSizes)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
  expect(responses.filter(({ event }) => event.case === "result")).toHaveLength(1);

  const last = responses.at(-1)!.event;
  expect(last.case).toBe("result");
  if (last.case !== "result") {
    throw new Error(`stream ended with a ${last.case} event instead of the result`);
  }
  return last.value;
}

/** Returns the gaps between consecutive arrival times, in milliseconds. */
function getGapsMs(chunks: readonly ReceivedChunk[]): number[] {
  return chunks.slice(1).map((chunk, index) => chunk.receivedAtMs - chunks[index]!.receivedAtMs);
}

/** Polls the session until its late output count reaches expected or timeoutMs passes, and returns the last count. */
async function waitForLateOutputBytes(session: SeatbeltSession, expected: bigint, timeoutMs: number): Promise<bigint> {
  const deadline = performance.now() + timeoutMs;
  let count = (await session.refresh()).lateOutputBytes;
  while (count < expected && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    count = (await session.refresh()).lateOutputBytes;
  }
  return count;
}

/** Starts a daemon thread that prints "bg 0" before the cell ends, then "bg 1" and "bg 2" one second apart. */
const START_BACKGROUND_PRINTER = String.raw`
import threading, time

first_line_written = threading.Event()

def print_lines():
    for n in range(3):
        print(f"bg {n}")
        first_line_written.set()
        time.sleep(1)

threading.Thread(target=print_lines, daemon=True).start()
first_line_written.wait()
print("exec1 done")
`;

/** Prints "exec2" and stays running for 3 s, so that misrouted late writes of the previous execution would land in it. */
const PRINT_THEN_WAIT = String.raw`
import time
print("exec2")
time.sleep(3)
`;

describe("output streaming", () => {
  test("interleaved stdout and stderr keep their order", async ({ session }) => {
    const code = String.raw`
import sys
for n in range(3):
    print(f"err{n}", file=sys.stderr)
    print(f"out{n}")
`;

    const events = await collectEvents(session.streamPython(code));

    const result = expectWellFormed(events);
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(events)).toEqual([
      ["STDERR", "err0\n"],
      ["STDOUT", "out0\n"],
      ["STDERR", "err1\n"],
      ["STDOUT", "out1\n"],
      ["STDERR", "err2\n"],
      ["STDOUT", "out2\n"],
    ]);
  });

  test("child process output arrives in order", async ({ session }) => {
    const code = String.raw`
import os, subprocess
print("parent-before", flush=True)
os.system("echo child-out; echo child-err 1>&2")
subprocess.run(["sh", "-c", "printf 'child-no-newline'"])
print("parent-after")
`;

    const events = await collectEvents(session.streamPython(code));

    const result = expectWellFormed(events);
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(events)).toEqual([
      ["STDOUT", "parent-before\nchild-out\n"],
      ["STDERR", "child-err\n"],
      ["STDOUT", "child-no-newlineparent-after\n"],
    ]);
  });

  test("Popen to sys.stdout is captured", async ({ session }) => {
    const code = String.raw`
import subprocess, sys
subprocess.Popen(["echo", "via-popen"], stdout=sys.stdout).wait()
subprocess.Popen(["sh", "-c", "echo via-popen-err 1>&2"], stderr=sys.stderr).wait()
`;

    const outcome = await session.runPython(code);

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.stdout).toBe("via-popen\n");
    expect(outcome.stderr).toBe("via-popen-err\n");
  });

  test("late thread output is dropped and counted", async ({ session }) => {
    const first = await collectEvents(session.streamPython(START_BACKGROUND_PRINTER));
    const second = await collectEvents(session.streamPython('print("exec2")'));
    // The thread prints "bg 1" and "bg 2" about 1 s and 2 s after execution 1.
    const lateBytes = await waitForLateOutputBytes(session, BigInt("bg 1\nbg 2\n".length), 5_000);

    expect(expectWellFormed(first).status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(first)).toEqual([["STDOUT", "bg 0\nexec1 done\n"]]);
    expect(expectWellFormed(second).status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(second)).toEqual([["STDOUT", "exec2\n"]]);
    expect(lateBytes).toBe(BigInt("bg 1\nbg 2\n".length));
  });

  test("next execution excludes late thread output", async ({ session }) => {
    const first = await collectEvents(session.streamPython(START_BACKGROUND_PRINTER));
    const second = await collectEvents(session.streamPython(PRINT_THEN_WAIT));
    const lateBytes = await waitForLateOutputBytes(session, BigInt("bg 1\nbg 2\n".length), 5_000);

    expect(buildTranscript(first)).toEqual([["STDOUT", "bg 0\nexec1 done\n"]]);
    expect(expectWellFormed(second).status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(second)).toEqual([["STDOUT", "exec2\n"]]);
    expect(lateBytes).toBe(BigInt("bg 1\nbg 2\n".length));
  });

  test("next execution excludes late process output", async ({ session }) => {
    const startLateWriter = String.raw`
import subprocess
subprocess.Popen(["sh", "-c", "sleep 1; echo late-1; sleep 1; echo late-2"])
print("exec1 done")
`;

    const first = await collectEvents(session.streamPython(startLateWriter));
    const second = await collectEvents(session.streamPython(PRINT_THEN_WAIT));
    const lateBytes = await waitForLateOutputBytes(session, BigInt("late-1\nlate-2\n".length), 5_000);

    expect(expectWellFormed(first).status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(first)).toEqual([["STDOUT", "exec1 done\n"]]);
    expect(expectWellFormed(second).status).toBe(ExecutionStatus.OK);
    expect(buildTranscript(second)).toEqual([["STDOUT", "exec2\n"]]);
    expect(lateBytes).toBe(BigInt("late-1\nlate-2\n".length));
  });

  test("partial Python lines stream live", async ({ session }) => {
    const code = String.raw`
import time
for i in range(5):
    print(i, end=" ", flush=True)
    time.sleep(1)
`;

    const events = await collectEvents(session.streamPython(code));

    const result = expectWellFormed(events);
    const chunks = getChunks(events, OutputStream.STDOUT);
    const resultReceivedAtMs = events.at(-1)!.receivedAtMs;
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(getTexts(chunks)).toEqual(["0 ", "1 ", "2 ", "3 ", "4 "]);
    for (const gapMs of getGapsMs(chunks)) {
      expect(gapMs).toBeGreaterThanOrEqual(500);
    }
    expect(resultReceivedAtMs - chunks[0]!.receivedAtMs).toBeGreaterThanOrEqual(3_000);
    expect(resultReceivedAtMs - chunks.at(-1)!.receivedAtMs).toBeGreaterThanOrEqual(500);
  });

  test("partial shell lines stream live", async ({ session }) => {
    const events = await collectEvents(session.streamShell('for i in 1 2 3; do printf "%s " $i; sleep 1; done'));

    const result = expectWellFormed(events);
    const chunks = getChunks(events, OutputStream.STDOUT);
    const resultReceivedAtMs = events.at(-1)!.receivedAtMs;
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(result.exitCode).toBe(0);
    expect(getTexts(chunks)).toEqual(["1 ", "2 ", "3 "]);
    for (const gapMs of getGapsMs(chunks)) {
      expect(gapMs).toBeGreaterThanOrEqual(500);
    }
    expect(resultReceivedAtMs - chunks[0]!.receivedAtMs).toBeGreaterThanOrEqual(1_500);
  });

  test("carriage returns pass through unchanged", async ({ session }) => {
    const code = String.raw`
import sys, time
for part in ["\rprogress 100%", "\rprogress 50%", "\rprogress 5%", "\n"]:
    sys.stdout.write(part)
    sys.stdout.flush()
    time.sleep(0.1)
`;

    const events = await collectEvents(session.streamPython(code));

    const result = expectWellFormed(events);
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(getChunks(events, OutputStream.STDERR)).toEqual([]);
    expect(getTexts(getChunks(events, OutputStream.STDOUT)).join("")).toBe("\rprogress 100%\rprogress 50%\rprogress 5%\n");
  });

  test("text printed before os._exit is kept", async ({ session }) => {
    await session.runPython("x = 1");

    const crash = await session.runPython('import os\nprint("about to hard-exit")\nos._exit(3)');
    const next = await session.runPython("x");
    const info = await session.refresh();

    expect(crash.stdout).toBe("about to hard-exit\n");
    expect(crash.status).toBe(ExecutionStatus.CRASHED);
    expect(crash.exitCode).toBe(3);
    expect(crash.result.interpreterRestarted).toBe(true);
    expect(next.status).toBe(ExecutionStatus.ERROR);
    expect(next.error?.name).toBe("NameError");
    expect(info.interpreterRestarts).toBe(1);
  });

  test("Python stdin is at end of file", async ({ session }) => {
    const prompt = await session.runPython('input("name? ")', { timeoutMs: SHORT_TIMEOUT_MS });
    const read = await session.runPython("import sys\nsys.stdin.read()", { timeoutMs: SHORT_TIMEOUT_MS });

    expect(prompt.status).toBe(ExecutionStatus.ERROR);
    expect(prompt.error?.name).toBe("EOFError");
    expect(prompt.stdout).toBe("name? ");
    expect(read.status).toBe(ExecutionStatus.OK);
    expect(read.value).toBe("''");
  });

  test("shell stdin is at end of file", async ({ session }) => {
    const cat = await session.runShell("cat", { timeoutMs: SHORT_TIMEOUT_MS });
    const read = await session.runShell('read x; echo "got:$x"', { timeoutMs: SHORT_TIMEOUT_MS });

    expect(cat.status).toBe(ExecutionStatus.OK);
    expect(cat.exitCode).toBe(0);
    expect(cat.stdout).toBe("");
    expect(read.status).toBe(ExecutionStatus.OK);
    expect(read.stdout).toBe("got:\n");
  });

  test("split UTF-8 character from Python arrives whole", async ({ session }) => {
    const code = String.raw`
import sys, time
for byte in "≤".encode():
    sys.stdout.buffer.write(bytes([byte]))
    sys.stdout.buffer.flush()
    time.sleep(0.1)
sys.stdout.buffer.write(b"\n")
`;

    const events = await collectEvents(session.streamPython(code));

    const result = expectWellFormed(events);
    const text = getTexts(getChunks(events, OutputStream.STDOUT)).join("");
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(text).toBe("≤\n");
    expect(text).not.toContain("\uFFFD");
  });

  test("split UTF-8 character from shell arrives whole", async ({ session }) => {
    // Octal escapes, because dash (Debian's /bin/sh) has no \x escapes in
    // printf. E2 89 A4 are the bytes of "≤".
    const events = await collectEvents(session.streamShell(String.raw`printf '\342'; sleep 0.1; printf '\211\244\n'`));

    const result = expectWellFormed(events);
    const text = getTexts(getChunks(events, OutputStream.STDOUT)).join("");
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(text).toBe("≤\n");
    expect(text).not.toContain("\uFFFD");
  });

  test("binary shell output arrives byte for byte", async ({ session }) => {
    // Octal escapes for FF FE 00, because dash's printf has no \x escapes.
    const outcome = await session.runShell(String.raw`printf 'ok\377\376\000end\n'`);
    const after = await session.runPython('print("still alive")');

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.exitCode).toBe(0);
    expect([...outcome.stdoutBytes]).toEqual([0x6f, 0x6b, 0xff, 0xfe, 0x00, 0x65, 0x6e, 0x64, 0x0a]);
    expect(after.stdout).toBe("still alive\n");
  });

  test("binary Python output arrives byte for byte", async ({ session }) => {
    const events = await collectEvents(session.streamPython("import sys\nwritten = sys.stdout.buffer.write(bytes(range(256)))"));
    const after = await session.runPython('print("still alive")');

    const result = expectWellFormed(events);
    const bytes = getChunks(events, OutputStream.STDOUT).flatMap(({ chunk }) => [...getChunkBytes(chunk)]);
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(bytes).toEqual(Array.from({ length: 256 }, (_, index) => index));
    expect(after.stdout).toBe("still alive\n");
  });

  test("6 MB line arrives in 64 KiB chunks", async ({ session }) => {
    const events = await collectEvents(session.streamPython('import sys\nwritten = sys.stdout.write("A" * 6_000_000)'));

    // expectWellFormed also checks that no chunk exceeds 64 KiB.
    const result = expectWellFormed(events);
    const texts = getTexts(getChunks(events, OutputStream.STDOUT));
    const output = texts.join("");
    expect(result.status).toBe(ExecutionStatus.OK);
    expect(getChunks(events, OutputStream.STDERR)).toEqual([]);
    expect(texts.length).toBeGreaterThanOrEqual(Math.ceil(6_000_000 / MAX_CHUNK_BYTES));
    expect(output.length).toBe(6_000_000);
    expect(output.replaceAll("A", "")).toBe("");
  });

  test("huge final value is truncated with a mark", async ({ session }) => {
    const fullRepr = `[${Array.from({ length: 2_000_000 }, (_, index) => index).join(", ")}]`;
    const hiddenChars = fullRepr.length - MAX_VALUE_CHARS;

    const outcome = await session.runPython("list(range(2_000_000))");

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.value).toBe(`${fullRepr.slice(0, MAX_VALUE_CHARS)}… [truncated: ${hiddenChars} more characters]`);
  });
});
