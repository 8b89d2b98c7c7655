import type { LimitCounters } from "../sandbox/limits/cgroup-files.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";

/** Interval at which a session's cgroup counters are read. @default 200 */
const POLL_INTERVAL_MS = 200;

/**
 * Watches a session's cgroup for forks that failed at the process limit.
 * Such a session is saturated, typically by a fork bomb that would keep
 * retrying for ever, so every process of the session is killed. That also
 * happens while no execution runs, because a bomb started in the background
 * outlives the command that started it.
 */
export class LimitWatch {
  /** Fork failures already acted on. */
  private handledForkFailures = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Set after a kill: forks that failed while it was under way count as handled. */
  private rebaseline = false;

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

  /** Reads the counters now; undefined without a cgroup. */
  read(): LimitCounters | undefined {
    return this.confinement.readCounters();
  }

  /**
   * Kills every process of the session when forks have failed at the limit
   * since the last kill. Returns true when it did.
   */
  settle(counters: LimitCounters | undefined): boolean {
    if (counters === undefined || counters.forkFailures <= this.handledForkFailures) {
      return false;
    }
    this.handledForkFailures = counters.forkFailures;
    this.rebaseline = true;
    this.killAll(counters.forkFailures);
    return true;
  }

  private check(): void {
    const counters = this.read();
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
