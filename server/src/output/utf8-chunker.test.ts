import { describe, expect, test } from "vitest";
import { MAX_CHUNK_BYTES, type OutputPiece, Utf8Chunker } from "./utf8-chunker.js";

/** Pushes each array in turn and returns the pieces of every push, then of end(). */
function chunkAll(pushes: readonly Uint8Array[]): { perPush: OutputPiece[][]; atEnd: OutputPiece[] } {
  const chunker = new Utf8Chunker();
  const perPush = pushes.map((bytes) => chunker.push(bytes));
  return { perPush, atEnd: chunker.end() };
}

function splitIntoSingleBytes(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (byte) => Uint8Array.of(byte));
}

function joinText(pieces: readonly OutputPiece[]): string {
  return pieces.map((piece) => (piece.kind === "text" ? piece.text : "")).join("");
}

function toBytes(piece: OutputPiece): Buffer {
  return piece.kind === "text" ? Buffer.from(piece.text) : Buffer.from(piece.data);
}

function joinBytes(pieces: readonly OutputPiece[]): Buffer {
  return Buffer.concat(pieces.map(toBytes));
}

describe("Utf8Chunker.push", () => {
  test("ASCII passes through as text", () => {
    const chunker = new Utf8Chunker();

    expect(chunker.push(Buffer.from("hello\n"))).toEqual([{ kind: "text", text: "hello\n" }]);
    expect(chunker.end()).toEqual([]);
  });

  test("empty push returns no pieces", () => {
    const chunker = new Utf8Chunker();

    expect(chunker.push(new Uint8Array())).toEqual([]);
  });

  test.each([
    { name: "2-byte é", character: "é", hex: "c3a9" },
    { name: "3-byte ≤", character: "≤", hex: "e289a4" },
    { name: "4-byte emoji", character: "😀", hex: "f09f9880" },
  ])("$name split byte by byte", ({ character, hex }) => {
    const bytes = Buffer.from(hex, "hex");
    expect(Buffer.from(character)).toEqual(bytes);

    const { perPush, atEnd } = chunkAll(splitIntoSingleBytes(bytes));

    const beforeLastByte = perPush.slice(0, -1);
    for (const pieces of beforeLastByte) {
      expect(pieces).toEqual([]);
    }
    expect(perPush.at(-1)).toEqual([{ kind: "text", text: character }]);
    expect(atEnd).toEqual([]);
  });

  test("emoji split between text pushes", () => {
    const emoji = Buffer.from("😀");
    const first = Buffer.concat([Buffer.from("a"), emoji.subarray(0, 2)]);
    const second = Buffer.concat([emoji.subarray(2), Buffer.from("b")]);

    const { perPush, atEnd } = chunkAll([first, second]);

    expect(perPush).toEqual([[{ kind: "text", text: "a" }], [{ kind: "text", text: "😀b" }]]);
    expect(atEnd).toEqual([]);
  });

  test("invalid UTF-8 passes through as data", () => {
    const bytes = Buffer.from("fffe00", "hex");

    const { perPush, atEnd } = chunkAll([bytes]);
    const pieces = perPush[0]!;

    expect(pieces.map((piece) => piece.kind)).toEqual(["data"]);
    expect(joinBytes(pieces)).toEqual(bytes);
    expect(atEnd).toEqual([]);
  });

  test("invalid UTF-8 byte by byte keeps bytes", () => {
    const bytes = Buffer.from("fffe00", "hex");

    const { perPush, atEnd } = chunkAll(splitIntoSingleBytes(bytes));
    const pieces = [...perPush.flat(), ...atEnd];

    expect(pieces.map((piece) => piece.kind)).not.toContain("text");
    expect(joinBytes(pieces)).toEqual(bytes);
  });

  test("NUL alone stays text", () => {
    const chunker = new Utf8Chunker();

    expect(chunker.push(Uint8Array.of(0))).toEqual([{ kind: "text", text: "\0" }]);
  });

  test("6,000,000 ASCII bytes cut at maximum", () => {
    const input = Buffer.alloc(6_000_000, "A");

    const { perPush, atEnd } = chunkAll([input]);
    const pieces = perPush[0]!;

    expect(MAX_CHUNK_BYTES).toBe(65536);
    expect(atEnd).toEqual([]);
    expect(pieces).toHaveLength(Math.ceil(6_000_000 / MAX_CHUNK_BYTES));
    for (const piece of pieces) {
      expect(piece.kind).toBe("text");
      expect(toBytes(piece).length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    }
    expect(joinText(pieces)).toBe(input.toString("latin1"));
  });

  test("3-byte run cut on code points", () => {
    // 65536 is not a multiple of 3, so a cut at exactly MAX_CHUNK_BYTES
    // would land inside a character.
    const input = "≤".repeat(100_000);

    const { perPush, atEnd } = chunkAll([Buffer.from(input)]);
    const pieces = perPush[0]!;

    expect(atEnd).toEqual([]);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.kind).toBe("text");
      const text = piece.kind === "text" ? piece.text : "";
      expect(text).not.toContain("\uFFFD");
      expect(text).toMatch(/^≤+$/);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    }
    expect(joinText(pieces)).toBe(input);
  });

  test("large invalid input cut at maximum", () => {
    const input = Buffer.alloc(3 * MAX_CHUNK_BYTES + 10, 0xff);
    input[input.length - 1] = 0x41;

    const { perPush, atEnd } = chunkAll([input]);
    const pieces = perPush[0]!;

    expect(atEnd).toEqual([]);
    expect(pieces).toHaveLength(4);
    for (const piece of pieces) {
      expect(piece.kind).toBe("data");
      expect(toBytes(piece).length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
    }
    expect(Buffer.compare(joinBytes(pieces), input)).toBe(0);
  });
});

describe("Utf8Chunker.end", () => {
  test("incomplete sequence returned as data", () => {
    const chunker = new Utf8Chunker();

    const input = Buffer.concat([Buffer.from("ok"), Buffer.from("e289", "hex")]);

    expect(chunker.push(input)).toEqual([{ kind: "text", text: "ok" }]);
    const rest = chunker.end();

    expect(rest.map((piece) => piece.kind)).toEqual(["data"]);
    expect(joinBytes(rest)).toEqual(Buffer.from("e289", "hex"));
  });

  test("end clears the held bytes", () => {
    const chunker = new Utf8Chunker();
    chunker.push(Buffer.from("e2", "hex"));
    chunker.end();

    expect(chunker.end()).toEqual([]);
    expect(chunker.push(Buffer.from("x"))).toEqual([{ kind: "text", text: "x" }]);
  });
});
