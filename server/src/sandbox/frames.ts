/**
 * Frames exchanged with the supervisor inside a sandbox. The layout and the
 * type numbers mirror server/runtime/seatbelt_runtime/protocol.py: a 9-byte header (payload
 * length as uint32, frame type as uint8, execution number as uint32, all
 * big-endian), then the payload.
 */

export const FrameType = {
  init: 1,
  exec: 2,
  signal: 3,
  input: 4,
  closeInput: 5,
  ready: 10,
  stdout: 11,
  stderr: 12,
  result: 13,
  lateOutput: 14,
  restarted: 15,
  diagnostic: 16,
} as const;

export type FrameTypeNumber = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  readonly type: number;
  readonly execution: number;
  readonly payload: Buffer;
}

const HEADER_BYTES = 9;

/**
 * Largest payload accepted from a sandbox. Output frames are at most 64 KiB
 * and results hold a value cut to 64 Ki characters, so anything larger means
 * the supervisor is broken or subverted.
 * @default 4 MiB
 */
export const MAX_FRAME_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** Encodes one frame. */
export function encodeFrame(type: FrameTypeNumber, execution: number, payload: Uint8Array = new Uint8Array()): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.writeUInt8(type, 4);
  frame.writeUInt32BE(execution, 5);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/** Encodes one frame whose payload is value as JSON. */
export function encodeJsonFrame(type: FrameTypeNumber, execution: number, value: unknown): Buffer {
  return encodeFrame(type, execution, Buffer.from(JSON.stringify(value)));
}

/** Splits a byte stream from a sandbox into frames. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);
  /**
   * Chunks that arrived after pending while a frame larger than one read is
   * incomplete. They are joined once the frame is complete, so a frame that
   * spans n reads costs one copy instead of n growing ones.
   */
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Bytes that pending plus parts must reach before the next frame is complete. */
  private neededBytes = HEADER_BYTES;

  /**
   * Adds bytes and returns the frames they complete.
   * @throws Error when a frame announces a payload over MAX_FRAME_PAYLOAD_BYTES.
   */
  push(chunk: Buffer): Frame[] {
    if (this.pending.length + this.partsBytes + chunk.length < this.neededBytes) {
      this.parts.push(chunk);
      this.partsBytes += chunk.length;
      return [];
    }
    this.pending = this.pending.length === 0 && this.parts.length === 0 ? chunk : Buffer.concat([this.pending, ...this.parts, chunk]);
    this.parts = [];
    this.partsBytes = 0;

    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(offset);
      if (length > MAX_FRAME_PAYLOAD_BYTES) {
        throw new Error(`sandbox sent a frame of ${length} bytes, over the limit of ${MAX_FRAME_PAYLOAD_BYTES}`);
      }
      const end = offset + HEADER_BYTES + length;
      if (this.pending.length < end) {
        break;
      }
      frames.push({
        type: this.pending.readUInt8(offset + 4),
        execution: this.pending.readUInt32BE(offset + 5),
        payload: this.pending.subarray(offset + HEADER_BYTES, end),
      });
      offset = end;
    }

    this.pending = offset === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(offset);
    this.neededBytes = this.pending.length >= HEADER_BYTES ? HEADER_BYTES + this.pending.readUInt32BE(0) : HEADER_BYTES;
    return frames;
  }
}
