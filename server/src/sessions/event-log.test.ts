import { create } from "@bufbuild/protobuf";
import { describe, expect, test } from "vitest";
import { ExecuteResponseSchema, OutputStream } from "../gen/seatbelt/v1/execution_pb.js";
import { EventLog, estimateEventBytes } from "./event-log.js";

function output(seq: number, text: string) {
  return create(ExecuteResponseSchema, { seq: BigInt(seq), event: { case: "output", value: { stream: OutputStream.STDOUT, content: { case: "text", value: text } } } });
}

describe("EventLog", () => {
  test("events within the limit are all kept", () => {
    const log = new EventLog(10_000);
    log.append(output(1, "a"));
    log.append(output(2, "b"));

    expect(log.oldestSeq).toBe(1);
    expect(log.nextSeq).toBe(3);
    expect(log.get(2)).toEqual(output(2, "b"));
  });

  test("oldest events are dropped once over the limit", () => {
    const size = estimateEventBytes(output(1, "x".repeat(100)));
    const log = new EventLog(size * 3);
    for (let seq = 1; seq <= 10; seq++) {
      log.append(output(seq, "x".repeat(100)));
    }

    expect(log.oldestSeq).toBe(8);
    expect(log.get(7)).toBeUndefined();
    expect(log.get(8)?.seq).toBe(8n);
    expect(log.bytes).toBe(size * 3);
  });

  test("last event is kept even when it alone is over the limit", () => {
    const log = new EventLog(10);
    log.append(output(1, "a"));
    log.append(output(2, "b".repeat(1000)));

    expect(log.oldestSeq).toBe(2);
    expect(log.get(2)?.seq).toBe(2n);
  });

  test("many drops keep sequence numbers right", () => {
    const log = new EventLog(estimateEventBytes(output(1, "x")) * 2);
    for (let seq = 1; seq <= 5000; seq++) {
      log.append(output(seq, "x"));
    }

    expect(log.oldestSeq).toBe(4999);
    expect(log.get(5000)?.seq).toBe(5000n);
    expect(log.nextSeq).toBe(5001);
  });
});
