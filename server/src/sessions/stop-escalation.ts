/**
 * Grace periods of stopping a running execution. After the first, the
 * execution is killed. After the second, the sandbox that did not carry out
 * the kill is given up on. One instance serves a session's executions in turn.
 */
export class StopEscalation {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly graceMs: number) {}

  /** Calls kill after one grace period, then giveUp after another, unless cancel comes first. */
  start(kill: () => void, giveUp: () => void): void {
    this.cancel();
    this.timer = setTimeout(() => {
      kill();
      this.timer = setTimeout(giveUp, this.graceMs);
    }, this.graceMs);
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
