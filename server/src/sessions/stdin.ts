import { FrameType, encodeFrame } from "../sandbox/frames.js";

/** Largest input frame sent to a sandbox; larger input is split. @default 64 KiB */
export const INPUT_FRAME_BYTES = 64 * 1024;

/**
 * Standard input of one execution as the server tracks it: input waiting
 * for the execution to start, and whether stdin has been closed.
 */
export class StdinState {
  /** True once no more input may be sent: at once unless the request kept stdin open. */
  closed: boolean;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(initial: Uint8Array, keepOpen: boolean) {
    this.closed = !keepOpen;
    if (initial.length > 0) {
      this.hold(initial);
    }
  }

  /** Bytes held for an execution that has not started. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  /** Keeps input until the execution starts. */
  hold(data: Uint8Array): void {
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.pending.push(buffer);
    this.pendingBytes += buffer.length;
  }

  /** Returns the held input in frame-sized pieces and clears it. */
  takeHeld(): Buffer[] {
    const pieces = this.pending.flatMap((buffer) => splitForFrames(buffer));
    this.pending = [];
    this.pendingBytes = 0;
    return pieces;
  }
}

/** Splits input into pieces of at most INPUT_FRAME_BYTES. */
export function splitForFrames(data: Uint8Array): Buffer[] {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < buffer.length; offset += INPUT_FRAME_BYTES) {
    pieces.push(buffer.subarray(offset, offset + INPUT_FRAME_BYTES));
  }
  return pieces;
}

/** Encodes input pieces as frames for one execution, with a closing frame after them when close is set. */
export function encodeInputFrames(execution: number, pieces: readonly Buffer[], close: boolean): Buffer[] {
  const frames = pieces.map((piece) => encodeFrame(FrameType.input, execution, piece));
  if (close) {
    frames.push(encodeFrame(FrameType.closeInput, execution));
  }
  return frames;
}
