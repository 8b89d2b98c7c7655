import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Heartbeat } from "./heartbeat.js";

describe("Heartbeat", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  test("reader is woken once it has waited a whole tick", () => {
    const heartbeat = new Heartbeat(1_000);
    const wake = vi.fn();

    vi.advanceTimersByTime(400);
    heartbeat.watch(wake);
    vi.advanceTimersByTime(100);
    const afterFirstTick = wake.mock.calls.length;
    vi.advanceTimersByTime(500);

    expect(afterFirstTick).toBe(0);
    expect(wake).toHaveBeenCalledTimes(1);
    heartbeat.stop();
  });

  test("forgotten reader is never woken", () => {
    const heartbeat = new Heartbeat(1_000);
    const wake = vi.fn();

    heartbeat.watch(wake);
    heartbeat.forget(wake);
    vi.advanceTimersByTime(5_000);

    expect(wake).not.toHaveBeenCalled();
    heartbeat.stop();
  });
});
