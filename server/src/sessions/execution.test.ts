import { describe, expect, test } from "vitest";
import { OutputStream } from "../gen/seatbelt/v1/execution_pb.js";
import { Execution } from "./execution.js";
import type { ExecutionId, SessionId } from "./ids.js";
import { StdinState } from "./stdin.js";

function createExecution(retainedEventBytes: number): Execution {
  return new Execution("exe_test" as ExecutionId, "ses_test" as SessionId, 1, { kind: "python", code: "" }, {
    timeoutMs: 1_000,
    retainedEventBytes,
    stdin: new StdinState(new Uint8Array(), false),
  });
}

function emitText(execution: Execution, text: string): void {
  execution.emit({ case: "output", value: { stream: OutputStream.STDOUT, content: { case: "text", value: text } } });
}

describe("Execution.follow", () => {
  test("reader behind the retained events gets the dropped range, then the rest", async () => {
    const execution = createExecution(1);
    const reader = execution.follow(0n, new AbortController().signal);
    emitText(execution, "a");
    const first = await reader.next();
    emitText(execution, "b");
    emitText(execution, "c");
    execution.emit({ case: "result", value: {} });

    const rest = [];
    for await (const event of { [Symbol.asyncIterator]: () => reader }) {
      rest.push(event);
    }

    expect(first.value?.seq).toBe(1n);
    expect(rest[0]?.event).toMatchObject({ case: "eventsDropped", value: { firstSeq: 2n, lastSeq: 3n } });
    expect(rest.slice(1).map((event) => event.seq)).toEqual([4n]);
    expect(rest[1]?.event.case).toBe("result");
  });

  test("reader within the retained events gets every event in order", async () => {
    const execution = createExecution(1024 * 1024);
    emitText(execution, "a");
    emitText(execution, "b");
    execution.emit({ case: "result", value: {} });

    const events = [];
    for await (const event of execution.follow(2n, new AbortController().signal)) {
      events.push(event);
    }

    expect(events.map((event) => event.seq)).toEqual([2n, 3n]);
  });
});
