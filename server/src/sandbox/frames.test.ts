import { describe, expect, test } from "vitest";
import { type Frame, FrameDecoder, FrameType, MAX_FRAME_PAYLOAD_BYTES, encodeFrame, encodeJsonFrame } from "./frames.js";

/** Copies the fields of each frame so that toEqual compares payload bytes, not buffer views. */
function describeFrames(frames: readonly Frame[]): Array<{ type: number; execution: number; payload: string }> {
  return frames.map((frame) => ({ type: frame.type, execution: frame.execution, payload: frame.payload.toString("hex") }));
}

describe("encodeFrame", () => {
  test("header is big-endian length, type, execution", () => {
    const frame = encodeFrame(FrameType.stdout, 0x01020304, Buffer.from("hi"));

    expect(frame.toString("hex")).toBe("00000002" + "0b" + "01020304" + Buffer.from("hi").toString("hex"));
  });

  test("payload defaults to empty", () => {
    const frame = encodeFrame(FrameType.ready, 7);

    expect(frame.toString("hex")).toBe("00000000" + "0a" + "00000007");
  });
});

describe("encodeJsonFrame", () => {
  test("payload is the JSON text", () => {
    const value = { code: "print('≤')", number: 3 };

    const [frame] = new FrameDecoder().push(encodeJsonFrame(FrameType.exec, 3, value));

    expect(frame?.type).toBe(FrameType.exec);
    expect(frame?.execution).toBe(3);
    expect(JSON.parse(frame!.payload.toString("utf8"))).toEqual(value);
  });
});

describe("FrameDecoder.push", () => {
  test.each([
    { name: "empty payload", type: FrameType.ready, execution: 0, payload: Buffer.alloc(0) },
    { name: "text payload", type: FrameType.stdout, execution: 1, payload: Buffer.from("hello\n") },
    { name: "binary payload", type: FrameType.stderr, execution: 42, payload: Buffer.from("00ff0a0d", "hex") },
    { name: "largest execution number", type: FrameType.result, execution: 0xffffffff, payload: Buffer.from("{}") },
  ])("round trip keeps $name", ({ type, execution, payload }) => {
    const frames = new FrameDecoder().push(encodeFrame(type, execution, payload));

    expect(describeFrames(frames)).toEqual([{ type, execution, payload: payload.toString("hex") }]);
  });

  test("frame split at every byte boundary", () => {
    const encoded = encodeFrame(FrameType.stdout, 5, Buffer.from("split me"));
    const expected = [{ type: FrameType.stdout, execution: 5, payload: Buffer.from("split me").toString("hex") }];

    for (let cut = 0; cut <= encoded.length; cut++) {
      const decoder = new FrameDecoder();

      const first = decoder.push(encoded.subarray(0, cut));
      const second = decoder.push(encoded.subarray(cut));

      expect(describeFrames([...first, ...second]), `cut at byte ${cut}`).toEqual(expected);
      expect(first, `cut at byte ${cut}`).toHaveLength(cut === encoded.length ? 1 : 0);
    }
  });

  test("frame pushed one byte at a time", () => {
    const encoded = encodeFrame(FrameType.result, 9, Buffer.from('{"status":"ok"}'));
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];

    for (let index = 0; index < encoded.length; index++) {
      const completed = decoder.push(encoded.subarray(index, index + 1));
      expect(completed, `byte ${index}`).toHaveLength(index === encoded.length - 1 ? 1 : 0);
      frames.push(...completed);
    }

    expect(describeFrames(frames)).toEqual([{ type: FrameType.result, execution: 9, payload: Buffer.from('{"status":"ok"}').toString("hex") }]);
  });

  test("large frame over many reads", () => {
    const payload = Buffer.alloc(1024 * 1024 + 3, 0x61);
    const encoded = Buffer.concat([encodeFrame(FrameType.stdout, 2, payload), encodeFrame(FrameType.stderr, 2, Buffer.from("tail"))]);
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];

    for (let start = 0; start < encoded.length; start += 65_536) {
      frames.push(...decoder.push(encoded.subarray(start, start + 65_536)));
    }

    expect(frames).toHaveLength(2);
    expect(frames[0]!.payload.equals(payload)).toBe(true);
    expect(frames[1]!.payload.toString()).toBe("tail");
  });

  test("two frames split at every boundary", () => {
    const encoded = Buffer.concat([encodeFrame(FrameType.stdout, 1, Buffer.from("ab")), encodeFrame(FrameType.stderr, 1, Buffer.from("cd"))]);
    const expected = [
      { type: FrameType.stdout, execution: 1, payload: Buffer.from("ab").toString("hex") },
      { type: FrameType.stderr, execution: 1, payload: Buffer.from("cd").toString("hex") },
    ];

    for (let cut = 0; cut <= encoded.length; cut++) {
      const decoder = new FrameDecoder();

      const frames = [...decoder.push(encoded.subarray(0, cut)), ...decoder.push(encoded.subarray(cut))];

      expect(describeFrames(frames), `cut at byte ${cut}`).toEqual(expected);
    }
  });

  test("several frames in one push", () => {
    const chunk = Buffer.concat([
      encodeFrame(FrameType.stdout, 2, Buffer.from("out")),
      encodeFrame(FrameType.stderr, 2, Buffer.from("err")),
      encodeFrame(FrameType.result, 2),
      // The start of a fourth frame, completed by the next push.
      encodeFrame(FrameType.ready, 3, Buffer.from("x")).subarray(0, 4),
    ]);
    const decoder = new FrameDecoder();

    const frames = decoder.push(chunk);

    expect(describeFrames(frames)).toEqual([
      { type: FrameType.stdout, execution: 2, payload: Buffer.from("out").toString("hex") },
      { type: FrameType.stderr, execution: 2, payload: Buffer.from("err").toString("hex") },
      { type: FrameType.result, execution: 2, payload: "" },
    ]);
    expect(describeFrames(decoder.push(encodeFrame(FrameType.ready, 3, Buffer.from("x")).subarray(4)))).toEqual([
      { type: FrameType.ready, execution: 3, payload: Buffer.from("x").toString("hex") },
    ]);
  });

  test("payload at maximum is accepted", () => {
    const header = Buffer.alloc(9);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD_BYTES, 0);
    header.writeUInt8(FrameType.stdout, 4);

    expect(new FrameDecoder().push(header)).toEqual([]);
  });

  test("oversize header throws before payload", () => {
    const header = Buffer.alloc(9);
    header.writeUInt32BE(MAX_FRAME_PAYLOAD_BYTES + 1, 0);
    header.writeUInt8(FrameType.stdout, 4);

    expect(() => new FrameDecoder().push(header)).toThrow(`sandbox sent a frame of ${MAX_FRAME_PAYLOAD_BYTES + 1} bytes`);
  });

  test("oversize header after valid frame throws", () => {
    const header = Buffer.alloc(9);
    header.writeUInt32BE(0xffffffff, 0);
    const chunk = Buffer.concat([encodeFrame(FrameType.stdout, 1, Buffer.from("ok")), header]);

    expect(() => new FrameDecoder().push(chunk)).toThrow(`over the limit of ${MAX_FRAME_PAYLOAD_BYTES}`);
  });
});
