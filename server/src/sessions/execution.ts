import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { type ExecuteResponse, ExecuteResponseSchema } from "../gen/seatbelt/v1/execution_pb.js";
import type { ExecutionId, SessionId } from "./ids.js";

/** A task as the supervisor receives it. */
export type Task =
  | { readonly kind: "python"; readonly code: string }
  | { readonly kind: "shell"; readonly command?: string; readonly argv?: readonly string[]; readonly workdir?: string };

/** Reason for which the server stopped an execution before it ended by itself. */
export type StopReason = "timeout" | "cancel" | "disconnect" | "session-deleted" | "shutdown";

export type ExecutionPhase = "queued" | "running" | "finished";

type ExecutionEvent = NonNullable<MessageInitShape<typeof ExecuteResponseSchema>["event"]>;

/**
 * One execution and the events it has produced. Events are kept so that a
 * client can attach with StreamOutput at any sequence number and then follow
 * live, with several readers at once.
 */
export class Execution {
  phase: ExecutionPhase = "queued";
  stopReason: StopReason | undefined;
  private readonly events: ExecuteResponse[] = [];
  private wakeReaders: Array<() => void> = [];
  private markDone!: () => void;
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
    readonly timeoutMs: number,
  ) {}

  /** Appends an event with the next sequence number and wakes every reader. */
  emit(event: ExecutionEvent): void {
    if (this.phase === "finished") {
      return;
    }
    this.events.push(create(ExecuteResponseSchema, { executionId: this.id, seq: BigInt(this.events.length + 1), event }));
    if (event.case === "result") {
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
   * come, until the result or until signal aborts.
   */
  async *follow(fromSeq: bigint, signal: AbortSignal): AsyncGenerator<ExecuteResponse> {
    // TODO: every event is kept until the execution is forgotten, so a flood
    // of output grows server memory. Bounding retention needs a byte cap that
    // drops the oldest events and reports the dropped range to late readers.
    let index = fromSeq > 1n ? Number(fromSeq - 1n) : 0;
    while (!signal.aborted) {
      while (index < this.events.length) {
        yield this.events[index++]!;
      }
      if (this.phase === "finished") {
        return;
      }
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve();
        signal.addEventListener("abort", onAbort, { once: true });
        this.wakeReaders.push(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        });
      });
    }
  }
}
