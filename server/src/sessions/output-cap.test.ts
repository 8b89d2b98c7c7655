import { describe, expect, test } from "vitest";
import { OutputCap } from "./output-cap.js";

function bytes(text: string): Buffer {
  return Buffer.from(text);
}

describe("OutputCap", () => {
  test("output within the cap passes through whole", () => {
    const cap = new OutputCap(10);

    const passed = [cap.push("stdout", bytes("abc")), cap.push("stderr", bytes("de"))];
    const summary = cap.finish();

    expect(passed.map(String)).toEqual(["abc", "de"]);
    expect(summary).toEqual({ droppedStdoutBytes: 0, droppedStderrBytes: 0, tail: [] });
  });

  test("output beyond the cap keeps head and tail and counts the middle", () => {
    const cap = new OutputCap(8);

    const head = cap.push("stdout", bytes("0123456789"));
    cap.push("stderr", bytes("abcdef"));
    cap.push("stdout", bytes("XY"));
    const summary = cap.finish();

    expect(String(head)).toBe("0123");
    expect(summary.tail.map((piece) => [piece.stream, String(piece.data)])).toEqual([
      ["stderr", "ef"],
      ["stdout", "XY"],
    ]);
    expect(summary.droppedStdoutBytes).toBe(6);
    expect(summary.droppedStderrBytes).toBe(4);
  });

  test("finish starts the next execution with a full cap", () => {
    const cap = new OutputCap(4);
    cap.push("stdout", bytes("123456"));
    cap.finish();

    expect(String(cap.push("stdout", bytes("ab")))).toBe("ab");
    expect(cap.finish().tail).toEqual([]);
  });

  test("many small pieces keep only the latest in the tail", () => {
    const cap = new OutputCap(4);
    for (let index = 0; index < 5000; index++) {
      cap.push("stdout", bytes(String(index % 10)));
    }

    const summary = cap.finish();

    expect(summary.tail.map((piece) => String(piece.data)).join("")).toBe("89");
    expect(summary.droppedStdoutBytes).toBe(5000 - 4);
  });
});
