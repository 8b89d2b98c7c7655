import { describe, expect, test } from "vitest";
import { describeResources } from "./resources.js";

describe("describeResources", () => {
  test("unconfined session reports its output cap", () => {
    const { limits, resourceUsage } = describeResources(undefined, 16 * 1024 * 1024);

    expect(limits.outputBytes).toBe(16n * 1024n * 1024n);
    expect(limits.memoryBytes).toBe(0n);
    expect(resourceUsage).toBeUndefined();
  });
});
