import { describe, expect, test } from "vitest";
import { findExpiry } from "./sweeper.js";

const LIMITS = { idleTimeoutMs: 1_000, maxLifetimeMs: 10_000 };

function sessionAt(createdAt: number, lastActiveAt: number, busy = false) {
  return { createdAt: new Date(createdAt), lastActiveAt, busy };
}

describe("findExpiry", () => {
  test("recently active session lives on", () => {
    expect(findExpiry(sessionAt(0, 500), LIMITS, 1_000)).toBeUndefined();
  });

  test("session idle for the idle timeout expires as idle", () => {
    expect(findExpiry(sessionAt(0, 500), LIMITS, 1_500)).toBe("idle");
  });

  test("busy session is never idle", () => {
    expect(findExpiry(sessionAt(0, 0, true), LIMITS, 5_000)).toBeUndefined();
  });

  test("session past its maximum lifetime expires even when busy", () => {
    expect(findExpiry(sessionAt(0, 9_999, true), LIMITS, 10_000)).toBe("lifetime");
  });
});
