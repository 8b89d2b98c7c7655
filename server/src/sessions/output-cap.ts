/** Name of the stream that a piece of output was written to. */
export type StreamName = "stdout" | "stderr";

/** A piece of output held for the tail. */
export interface HeldOutput {
  readonly stream: StreamName;
  readonly data: Buffer;
}

/** Counts of the bytes that the cap dropped, and the tail to deliver after the drop. */
export interface CapSummary {
  readonly droppedStdoutBytes: number;
  readonly droppedStderrBytes: number;
  readonly tail: readonly HeldOutput[];
}

/**
 * Caps the output of one execution at capBytes. The first half, the head,
 * passes through at once. After it, the latest bytes up to the other half
 * are kept back as the tail, which is delivered when the execution ends.
 * Everything between head and tail is dropped and counted.
 */
export class OutputCap {
  private headLeft = 0;
  private tailLimit = 0;
  private held: HeldOutput[] = [];
  private heldStart = 0;
  private heldBytes = 0;
  private dropped = { stdout: 0, stderr: 0 };

  /** Bytes of the head, which is delivered live. */
  get headBytes(): number {
    return this.capBytes - this.tailLimit;
  }

  /** Bytes of the tail, which is delivered at the end. */
  get tailBytes(): number {
    return this.tailLimit;
  }

  constructor(private capBytes: number) {
    this.reset(capBytes);
  }

  /** Starts counting afresh for the next execution. */
  reset(capBytes: number): void {
    this.capBytes = capBytes;
    this.headLeft = Math.ceil(capBytes / 2);
    this.tailLimit = capBytes - this.headLeft;
    this.held = [];
    this.heldStart = 0;
    this.heldBytes = 0;
    this.dropped = { stdout: 0, stderr: 0 };
  }

  /** Returns the part of data to deliver now; the rest is held for the tail or dropped. */
  push(stream: StreamName, data: Buffer): Buffer {
    if (data.length <= this.headLeft) {
      this.headLeft -= data.length;
      return data;
    }
    const now = data.subarray(0, this.headLeft);
    this.headLeft = 0;
    this.hold(stream, data.subarray(now.length));
    return now;
  }

  /** Returns the counts of dropped bytes and the tail, and resets the cap for the next execution. */
  finish(): CapSummary {
    const summary = { droppedStdoutBytes: this.dropped.stdout, droppedStderrBytes: this.dropped.stderr, tail: this.held.slice(this.heldStart) };
    this.reset(this.capBytes);
    return summary;
  }

  private hold(stream: StreamName, data: Buffer): void {
    if (data.length === 0) {
      return;
    }
    // A copy, so that a small piece does not keep the larger buffer it was
    // read into alive.
    this.held.push({ stream, data: Buffer.from(data) });
    this.heldBytes += data.length;
    while (this.heldBytes > this.tailLimit) {
      const oldest = this.held[this.heldStart]!;
      const excess = this.heldBytes - this.tailLimit;
      const cut = Math.min(excess, oldest.data.length);
      this.dropped[oldest.stream] += cut;
      this.heldBytes -= cut;
      if (cut === oldest.data.length) {
        this.heldStart++;
      } else {
        this.held[this.heldStart] = { stream: oldest.stream, data: oldest.data.subarray(cut) };
      }
    }
    if (this.heldStart > 1024 && this.heldStart * 2 > this.held.length) {
      this.held = this.held.slice(this.heldStart);
      this.heldStart = 0;
    }
  }
}
