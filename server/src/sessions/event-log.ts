import type { ExecuteResponse } from "../gen/seatbelt/v1/execution_pb.js";

/** Bytes counted for an event on top of its output, for its message and bookkeeping. */
const EVENT_OVERHEAD_BYTES = 128;

/** Dropped events that the log compacts away at once, to keep compaction rare. */
const COMPACT_AFTER_EVENTS = 1024;

/** Returns the bytes an event holds, roughly: its output plus a fixed overhead. */
export function estimateEventBytes(response: ExecuteResponse): number {
  const event = response.event;
  if (event.case === "output") {
    // A string of n code units takes up to 2n bytes in V8. Output text is
    // mostly Latin-1, stored at one byte per unit, so n is a fair estimate.
    return EVENT_OVERHEAD_BYTES + (event.value.content.case === "text" ? event.value.content.value.length : (event.value.content.value?.length ?? 0));
  }
  return EVENT_OVERHEAD_BYTES;
}

/**
 * The events of one execution, numbered from 1, holding at most maxBytes:
 * once over, the oldest events are dropped. The last event is always kept,
 * so the result of a finished execution stays readable.
 */
export class EventLog {
  private events: ExecuteResponse[] = [];
  /** Index in events of the oldest retained event. */
  private head = 0;
  private firstSeq = 1;
  private retainedBytes = 0;
  private readonly sizes: number[] = [];

  constructor(private readonly maxBytes: number) {}

  /** Sequence number of the next event appended. */
  get nextSeq(): number {
    return this.firstSeq + this.events.length - this.head;
  }

  /** Estimated bytes of the retained events. */
  get bytes(): number {
    return this.retainedBytes;
  }

  /** Sequence number of the oldest retained event. */
  get oldestSeq(): number {
    return this.firstSeq;
  }

  // TODO: events are dropped even while a live Execute reader has not read
  // them, so a reader slower than the code loses the middle of its output.
  // Pausing the sandbox's event pipe would also stall control frames. A fix:
  // the supervisor stops reading the code's output pipes on a "pause" frame,
  // which this log sends when its slowest live reader falls behind.
  /** Appends an event whose seq is nextSeq, then drops the oldest events while over the limit. */
  append(response: ExecuteResponse): void {
    const size = estimateEventBytes(response);
    this.events.push(response);
    this.sizes.push(size);
    this.retainedBytes += size;
    while (this.retainedBytes > this.maxBytes && this.events.length - this.head > 1) {
      this.retainedBytes -= this.sizes[this.head]!;
      this.events[this.head] = undefined as unknown as ExecuteResponse;
      this.head++;
      this.firstSeq++;
    }
    if (this.head >= COMPACT_AFTER_EVENTS && this.head * 2 >= this.events.length) {
      this.events = this.events.slice(this.head);
      this.sizes.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Returns the event with this sequence number, or undefined when it was dropped or not written yet. */
  get(seq: number): ExecuteResponse | undefined {
    if (seq < this.firstSeq) {
      return undefined;
    }
    return this.events[this.head + seq - this.firstSeq];
  }
}
