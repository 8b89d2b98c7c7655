/**
 * One timer for every waiting stream reader of the server, rather than a
 * timer per wait. It ticks twice per interval and wakes the readers that
 * have waited through a whole tick, so a quiet stream gets a keepalive after
 * between half an interval and one interval of silence, never sooner.
 */
export class Heartbeat {
  /** Readers that started waiting since the last tick. */
  private fresh = new Set<() => void>();
  /** Readers that were already waiting at the last tick. */
  private due = new Set<() => void>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(intervalMs / 2)));
    this.timer.unref();
  }

  /** Calls wake once the reader has been waiting long enough, unless forget is called first. */
  watch(wake: () => void): void {
    this.fresh.add(wake);
  }

  forget(wake: () => void): void {
    this.fresh.delete(wake);
    this.due.delete(wake);
  }

  /** Stops the timer; waiting readers are not woken. */
  stop(): void {
    clearInterval(this.timer);
    this.fresh.clear();
    this.due.clear();
  }

  private tick(): void {
    const due = this.due;
    this.due = this.fresh;
    this.fresh = new Set();
    for (const wake of due) {
      wake();
    }
  }
}
