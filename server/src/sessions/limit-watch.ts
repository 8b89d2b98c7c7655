import { type ExecutionResult, ExecutionStatus } from "../gen/seatbelt/v1/execution_pb.js";
import type { LimitCounters } from "../sandbox/limits/cgroup-files.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";
import { applyExceededLimit, describeSandboxOomKill } from "./limit-result.js";

/** Interval at which a session's cgroup counters are read. @default 200 */
const POLL_INTERVAL_MS = 200;

/**
 * Watches a session's resource limits. It polls the cgroup for forks that
 * failed at the process limit: such a session is saturated, typically by a
 * fork bomb that would keep retrying for ever, so every process of the
 * session is killed. That also happens while no execution runs, because a
 * bomb started in the background outlives the command that started it. At
 * the end of each execution it finds which limit, if any, stopped it.
 */
export class LimitWatch {
  /** Fork failures already acted on. */
  private handledForkFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set after a kill: forks that failed while it was under way count as handled. */
  private rebaseline = false;
  /** Counters read as the running execution started; undefined between executions. */
  private before: LimitCounters | undefined;
  private executing = false;
  /** True once every process was killed during the running execution, the interpreter included. */
  private killedDuringExecution = false;

  constructor(
    private readonly confinement: SessionConfinement,
    /** Kills every process of the session; the interpreter is replaced. */
    private readonly killAll: (forkFailures: number) => void,
  ) {}

  /** Reads the starting counters and begins to poll. */
  start(): void {
    this.handledForkFailures = this.confinement.readCounters()?.forkFailures ?? 0;
    if (this.confinement.hasCgroup && this.confinement.limits.maxProcesses > 0) {
      this.timer = setInterval(() => this.check(), POLL_INTERVAL_MS);
      this.timer.unref();
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Records the counters as an execution starts. The read is synchronous,
   * so the values predate the execution even when the event loop is busy.
   */
  beginExecution(): void {
    this.before = this.confinement.readCounters();
    this.executing = true;
    this.killedDuringExecution = false;
  }

  /**
   * Turns the result of the execution that just ended into LIMIT_EXCEEDED
   * when a limit stopped it, and kills every process of a session that
   * reached its process limit, before the next execution starts.
   */
  judgeResult(result: ExecutionResult, kind: "python" | "shell", sandboxInitPid: number | undefined): void {
    // A full disk matters only to an execution that failed, so a successful
    // one skips the four statfs calls.
    const fullDisk = result.status === ExecutionStatus.OK ? undefined : this.confinement.findFullDisk(sandboxInitPid);
    const after = this.confinement.readCounters();
    this.settle(after);
    applyExceededLimit(result, { limits: this.confinement.limits, kind, before: this.before, after, fullDisk, killedAll: this.killedDuringExecution });
    this.executing = false;
  }

  /** Explains a sandbox that died during an execution when the OOM killer ended it; undefined otherwise. */
  describeSandboxExit(): ReturnType<typeof describeSandboxOomKill> {
    return this.executing ? describeSandboxOomKill(this.confinement, this.before, this.confinement.readCounters()) : undefined;
  }

  /** Kills every process of the session when forks have failed at the limit since the last kill. */
  private settle(counters: LimitCounters | undefined): void {
    if (counters === undefined || counters.forkFailures <= this.handledForkFailures) {
      return;
    }
    this.handledForkFailures = counters.forkFailures;
    this.rebaseline = true;
    this.killedDuringExecution ||= this.executing;
    this.killAll(counters.forkFailures);
  }

  private check(): void {
    const counters = this.confinement.readCounters();
    if (this.rebaseline) {
      // The kill is carried out by the sandbox a moment after it was asked
      // for; forks that failed until then belong to the same bomb.
      this.rebaseline = false;
      this.handledForkFailures = Math.max(this.handledForkFailures, counters?.forkFailures ?? 0);
      return;
    }
    this.settle(counters);
  }
}
