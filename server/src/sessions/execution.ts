import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { type ExecuteResponse, ExecuteResponseSchema, type ExecutionResult } from "../gen/seatbelt/v1/execution_pb.js";
import { EventLog } from "./event-log.js";
import type { Heartbeat } from "./heartbeat.js";
import type { ExecutionId, SessionId } from "./ids.js";
import type { StdinState } from "./stdin.js";

/** A task as the supervisor receives it. */
export type Task =
  | { readonly kind: "python"; readonly code: string }
  | { readonly kind: "shell"; readonly command?: string; readonly argv?: readonly string[]; readonly workdir?: string };

/** Reason for which the server stopped an execution before it ended by itself. */
export type StopReason = "timeout" | "cancel" | "disconnect" | "deadline" | "session-deleted" | "restart" | "idle" | "lifetime" | "shutdown";

export type ExecutionPhase = "queued" | "running" | "finished";

type ExecutionEvent = NonNullable<MessageInitShape<typeof ExecuteResponseSchema>["event"]>;

/** Settings of an execution besides its task. */
export interface ExecutionSettings {
  readonly timeoutMs: number;
  /** Bytes of events kept for readers; older ones are dropped first. */
  readonly retainedEventBytes: number;
  readonly stdin: StdinState;
}

/**
 * One execution and the events it has produced. Recent events are kept so
 * that a client can attach with StreamOutput at any sequence number and then
 * follow live, with several readers at once.
 */
export class Execution {
  phase: ExecutionPhase = "queued";
  stopReason: StopReason | undefined;
  readonly timeoutMs: number;
  readonly stdin: StdinState;
  private readonly log: EventLog;
  private wakeReaders: Array<() => void> = [];
  private markDone!: () => void;
  /** The result once the execution has finished, else undefined. */
  result: ExecutionResult | undefined;
  /** Settles when the result has been emitted. */
  readonly done = new Promise<void>((resolve) => {
    this.markDone = resolve;
  });

  constructor(
    readonly id: ExecutionId,
    readonly sessionId: SessionId,
    /** Number that names the execution in frames to and from the sandbox. */
    readonly number: number,
    readonly task: Task,
    settings: ExecutionSettings,
  ) {
    this.timeoutMs = settings.timeoutMs;
    this.stdin = settings.stdin;
    this.log = new EventLog(settings.retainedEventBytes);
  }

  /** Estimated bytes of the events kept for readers. */
  get retainedBytes(): number {
    return this.log.bytes;
  }

  /** Appends an event with the next sequence number and wakes every reader. */
  emit(event: ExecutionEvent): void {
    if (this.phase === "finished") {
      return;
    }
    const response = create(ExecuteResponseSchema, { executionId: this.id, seq: BigInt(this.log.nextSeq), event });
    this.log.append(response);
    if (response.event.case === "result") {
      this.result = response.event.value;
      this.phase = "finished";
      this.markDone();
    }
    const readers = this.wakeReaders;
    this.wakeReaders = [];
    for (const wake of readers) {
      wake();
    }
  }

  /**
   * Yields the events from sequence number fromSeq on, then new ones as they
   * come, until the result or until signal aborts. Events that were dropped
   * before this reader reached them are replaced by one EventsDropped event
   * naming their range, and a keepalive is yielded on every heartbeat tick
   * that finds the reader waiting.
   */
  async *follow(fromSeq: bigint, signal: AbortSignal, heartbeat?: Heartbeat): AsyncGenerator<ExecuteResponse> {
    let next = fromSeq > 1n ? Number(fromSeq) : 1;
    while (!signal.aborted) {
      while (next < this.log.nextSeq) {
        if (next < this.log.oldestSeq) {
          yield create(ExecuteResponseSchema, {
            executionId: this.id,
            seq: 0n,
            event: { case: "eventsDropped", value: { firstSeq: BigInt(next), lastSeq: BigInt(this.log.oldestSeq - 1) } },
          });
          next = this.log.oldestSeq;
          continue;
        }
        yield this.log.get(next++)!;
      }
      if (this.phase === "finished") {
        return;
      }
      if (await this.waitForEvent(signal, heartbeat)) {
        yield create(ExecuteResponseSchema, { executionId: this.id, seq: 0n, event: { case: "keepalive", value: {} } });
      }
    }
  }

  /** Waits for the next event, an abort or a heartbeat tick; true for the tick. */
  private waitForEvent(signal: AbortSignal, heartbeat: Heartbeat | undefined): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const settle = (tick: boolean) => {
        signal.removeEventListener("abort", onAbort);
        heartbeat?.forget(onTick);
        resolve(tick);
      };
      const onAbort = () => settle(false);
      const onTick = () => settle(true);
      signal.addEventListener("abort", onAbort, { once: true });
      heartbeat?.watch(onTick);
      this.wakeReaders.push(() => settle(false));
    });
  }
}
