/** Sandbox replacements allowed within RESTART_WINDOW_MS before the session fails. @default 5 */
const MAX_RESTARTS_PER_WINDOW = 5;
/** @default 60000 */
const RESTART_WINDOW_MS = 60_000;

/** Counts a session's recent sandbox replacements, to stop replacing a sandbox that keeps dying. */
export class RestartWindow {
  private recent: number[] = [];

  /** Records a replacement at time now; returns why to give up, or undefined to go on. */
  record(now: number): string | undefined {
    this.recent = [...this.recent.filter((time) => now - time < RESTART_WINDOW_MS), now];
    return this.recent.length > MAX_RESTARTS_PER_WINDOW ? `the sandbox ended ${this.recent.length} times within ${RESTART_WINDOW_MS} ms` : undefined;
  }

  /** Forgets the replacements so far, as after a restart that the caller asked for. */
  clear(): void {
    this.recent = [];
  }
}
