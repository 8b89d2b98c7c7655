import { describe, expect, test } from "vitest";
import { checkReadyLandlock, describeLandlock, parseProbeOutput } from "./landlock.js";

describe("parseProbeOutput", () => {
  test("reads the kernel's ABI", () => {
    expect(parseProbeOutput('{"abi": 7, "reason": ""}')).toEqual({ abi: 7, reason: "" });
  });

  test("keeps the reason of a kernel without Landlock", () => {
    expect(parseProbeOutput('{"abi": 0, "reason": "the kernel has no Landlock support"}')).toEqual({ abi: 0, reason: "the kernel has no Landlock support" });
  });

  test.each(["", "7", '{"abi": "7"}', '{"abi": -1}', '{"abi": 1.5}'])("output %j reports no ABI", (output) => {
    const support = parseProbeOutput(output);

    expect(support.abi).toBe(0);
    expect(support.reason).not.toBe("");
  });
});

describe("checkReadyLandlock", () => {
  test("accepts the requested ABI", () => {
    expect(checkReadyLandlock(Buffer.from('{"pythonVersion": "3.11.2", "landlockAbi": 7}'), 7)).toBeUndefined();
  });

  test.each([
    ['{"landlockAbi": 0}', "ABI 0 applied, expected 7"],
    ['{"landlockAbi": 6}', "ABI 6 applied, expected 7"],
    ['{"pythonVersion": "3.11.2"}', "ABI null applied, expected 7"],
    ["not json", "ABI null applied, expected 7"],
  ])("rejects READY %s", (payload, fragment) => {
    expect(checkReadyLandlock(Buffer.from(payload), 7)).toContain(fragment);
  });
});

describe("describeLandlock", () => {
  test("active layer names its ABI and scoping", () => {
    const layer = describeLandlock({ abi: 7, reason: "" }, true);

    expect(layer).toMatchObject({ name: "landlock", active: true, abiVersion: 7 });
    expect(layer.detail).toContain("abstract Unix socket");
  });

  test("layer before ABI 6 claims no scoping", () => {
    const layer = describeLandlock({ abi: 5, reason: "" }, true);

    expect(layer).toMatchObject({ active: true, abiVersion: 5 });
    expect(layer.detail).not.toContain("signal");
  });

  test("kernel without Landlock leaves the layer inactive with the reason", () => {
    const layer = describeLandlock({ abi: 0, reason: "the kernel has no Landlock support" }, true);

    expect(layer).toMatchObject({ active: false, abiVersion: 0 });
    expect(layer.detail).toContain("the kernel has no Landlock support");
  });

  test("unavailable backend leaves the layer inactive", () => {
    expect(describeLandlock({ abi: 7, reason: "" }, false)).toMatchObject({ active: false, abiVersion: 0 });
  });
});
