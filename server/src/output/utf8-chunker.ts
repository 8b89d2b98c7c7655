import { isUtf8 } from "node:buffer";

/** Largest number of bytes in one output chunk sent to clients. */
export const MAX_CHUNK_BYTES = 64 * 1024;

/** One piece of output, as text when it is valid UTF-8 and as bytes otherwise. */
export type OutputPiece = { readonly kind: "text"; readonly text: string } | { readonly kind: "data"; readonly data: Uint8Array };

/** Returns the length of the UTF-8 sequence that a lead byte starts. */
function getSequenceLength(leadByte: number): number {
  if (leadByte >= 0xf0) {
    return 4;
  }
  if (leadByte >= 0xe0) {
    return 3;
  }
  return leadByte >= 0xc0 ? 2 : 1;
}

/**
 * Returns how many bytes at the end of bytes start a UTF-8 sequence that is
 * not complete yet, so that a code point split across two writes is held
 * back until its last byte arrives.
 */
function countIncompleteTail(bytes: Uint8Array): number {
  const earliest = Math.max(0, bytes.length - 3);
  for (let index = bytes.length - 1; index >= earliest; index--) {
    const byte = bytes[index]!;
    if ((byte & 0xc0) === 0x80) {
      continue;
    }
    const expected = getSequenceLength(byte);
    const present = bytes.length - index;
    return present < expected ? present : 0;
  }
  return 0;
}

/** Returns the largest cut at or before limit that does not split a code point. */
function findCodePointBoundary(bytes: Uint8Array, start: number, limit: number): number {
  let cut = Math.min(limit, bytes.length);
  while (cut > start && cut < bytes.length && (bytes[cut]! & 0xc0) === 0x80) {
    cut--;
  }
  return cut;
}

function splitText(bytes: Buffer): OutputPiece[] {
  const pieces: OutputPiece[] = [];
  let start = 0;
  while (start < bytes.length) {
    const end = findCodePointBoundary(bytes, start, start + MAX_CHUNK_BYTES);
    pieces.push({ kind: "text", text: bytes.toString("utf8", start, end) });
    start = end;
  }
  return pieces;
}

function splitData(bytes: Buffer): OutputPiece[] {
  const pieces: OutputPiece[] = [];
  for (let start = 0; start < bytes.length; start += MAX_CHUNK_BYTES) {
    pieces.push({ kind: "data", data: bytes.subarray(start, start + MAX_CHUNK_BYTES) });
  }
  return pieces;
}

/**
 * Turns the bytes of one output stream into chunks of at most MAX_CHUNK_BYTES.
 * The complete code points of each push become text cut on code point
 * boundaries when they are all valid UTF-8. A push with any invalid byte
 * passes through unchanged as data, so nothing is replaced or lost.
 */
export class Utf8Chunker {
  private carry: Buffer = Buffer.alloc(0);

  /** Adds bytes and returns the pieces that are complete. */
  push(bytes: Uint8Array): OutputPiece[] {
    const combined = this.carry.length === 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length) : Buffer.concat([this.carry, bytes]);
    const tail = countIncompleteTail(combined);
    const ready = combined.subarray(0, combined.length - tail);
    this.carry = Buffer.from(combined.subarray(combined.length - tail));

    if (ready.length === 0) {
      return [];
    }
    return isUtf8(ready) ? splitText(ready) : splitData(ready);
  }

  /** Returns the bytes still held back, as data, because no more will come. */
  end(): OutputPiece[] {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    return splitData(rest);
  }
}
