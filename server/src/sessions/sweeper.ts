import type { StopReason } from "./execution.js";
import type { Session } from "./session.js";

/** Maximum and minimum time between two checks for expired sessions. */
const MAX_SWEEP_INTERVAL_MS = 10_000;
const MIN_SWEEP_INTERVAL_MS = 50;

/** Session time limits as configured. */
export interface SessionTimeLimits {
  readonly idleTimeoutMs: number;
  readonly maxLifetimeMs: number;
}

/** Returns why a session has expired at time now, or undefined while it may live on. */
export function findExpiry(session: Pick<Session, "busy" | "lastActiveAt" | "createdAt">, limits: SessionTimeLimits, now: number): StopReason | undefined {
  if (now - session.createdAt.getTime() >= limits.maxLifetimeMs) {
    return "lifetime";
  }
  if (!session.busy && now - session.lastActiveAt >= limits.idleTimeoutMs) {
    return "idle";
  }
  return undefined;
}

/**
 * Deletes sessions that were idle too long or lived too long. One timer
 * checks every session a few times per limit, so an execution costs no
 * timer of its own. A session ends at most a quarter of the shorter limit,
 * and at most 10 s, after it expired.
 */
export class SessionSweeper {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limits: SessionTimeLimits,
    list: () => readonly Session[],
    expire: (session: Session, reason: StopReason) => void,
  ) {
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, Math.max(MIN_SWEEP_INTERVAL_MS, Math.floor(Math.min(limits.idleTimeoutMs, limits.maxLifetimeMs) / 4)));
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const session of list()) {
        const reason = findExpiry(session, this.limits, now);
        if (reason !== undefined) {
          expire(session, reason);
        }
      }
    }, interval);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
