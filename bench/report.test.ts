import { describe, expect, test } from "vitest";
import { checkTargets, findLargestScaleMetric } from "./report.js";
import type { MetricResult } from "./results.js";

function pss(sessions: number, value: number): MetricResult {
  return { kind: "metric", workload: `scale, ${sessions} sessions`, system: "seatbelt", metric: "PSS per idle session", value, unit: "MiB" };
}

describe("findLargestScaleMetric", () => {
  test("picks the largest step that ran", () => {
    expect(findLargestScaleMetric([pss(50, 9), pss(200, 11), pss(100, 10)], "PSS per idle session")).toEqual({ value: 11, sessions: 200 });
  });

  test("is undefined without a scale step", () => {
    expect(findLargestScaleMetric([], "PSS per idle session")).toBeUndefined();
  });
});

describe("checkTargets", () => {
  test("idle memory target uses a quick run's 50 sessions", () => {
    const target = checkTargets([], [pss(50, 9.5)]).find((row) => row.target === "≤ 12 MB per idle session");

    expect(target?.measured).toBe("9.50 MiB PSS at 50 sessions");
    expect(target?.met).toBe(true);
  });
});
