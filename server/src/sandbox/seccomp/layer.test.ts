import { describe, expect, test } from "vitest";
import { getSeccompFilter } from "./filter.js";
import { describeSeccomp } from "./layer.js";

describe("describeSeccomp", () => {
  test("active filter names its architecture and denials", () => {
    const layer = describeSeccomp(getSeccompFilter("arm64"), true);

    expect(layer).toMatchObject({ name: "seccomp", active: true, abiVersion: 0 });
    expect(layer.detail).toMatch(/^The aarch64 system call filter fails with EPERM ptrace/);
    expect(layer.detail).toContain("TIOCSTI");
  });

  test("unsupported architecture is inactive with the reason", () => {
    const layer = describeSeccomp(getSeccompFilter("riscv64"), true);

    expect(layer).toMatchObject({ name: "seccomp", active: false });
    expect(layer.detail).toBe("the server has no seccomp filter for the riscv64 architecture (only for x64 and arm64), so sandboxes start without one");
  });

  test("unavailable backend is inactive", () => {
    const layer = describeSeccomp(getSeccompFilter("x64"), false);

    expect(layer.active).toBe(false);
    expect(layer.detail).toContain("bubblewrap cannot start sandboxes here");
  });
});
