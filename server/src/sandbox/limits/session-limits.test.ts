import { create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { LimitsSchema } from "../../gen/seatbelt/v1/session_pb.js";
import { type EnforcementMap, type LimitPolicy, MIN_LIMITS, readLimitPolicy, resolveSessionLimits } from "./session-limits.js";
import { catchConnectError } from "../../../../test/support/connect-errors.js";

const POLICY: LimitPolicy = {
  defaults: { memoryBytes: 1 << 30, maxProcesses: 256, cpuMillicores: 1000, diskBytes: 512 << 20, openFiles: 1024, fileSizeBytes: 1 << 30 },
  maxima: { memoryBytes: 4 << 30, maxProcesses: 4096, cpuMillicores: 4000, diskBytes: 0, openFiles: 65_536, fileSizeBytes: 4 << 30 },
};

const CGROUP_V1: EnforcementMap = {
  memoryBytes: "cgroup-v1",
  maxProcesses: "cgroup-v1",
  cpuMillicores: "cgroup-v1",
  diskBytes: "tmpfs",
  openFiles: "rlimit",
  fileSizeBytes: "rlimit",
};


describe("resolveSessionLimits", () => {
  test("unset limits take the defaults", () => {
    expect(resolveSessionLimits(undefined, POLICY, CGROUP_V1)).toEqual(POLICY.defaults);
  });

  test("requested limits replace the defaults", () => {
    const requested = create(LimitsSchema, { memoryBytes: 256n << 20n, maxProcesses: 32, diskBytes: 64n << 20n });

    expect(resolveSessionLimits(requested, POLICY, CGROUP_V1)).toEqual({ ...POLICY.defaults, memoryBytes: 256 << 20, maxProcesses: 32, diskBytes: 64 << 20 });
  });

  test("value above maximum rejected", () => {
    const error = catchConnectError(() => resolveSessionLimits(create(LimitsSchema, { maxProcesses: 5000 }), POLICY, CGROUP_V1));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("limits.max_processes is 5000, above the server's maximum of 4096");
  });

  test("maximum of zero means none", () => {
    const requested = create(LimitsSchema, { diskBytes: 1n << 40n });

    expect(resolveSessionLimits(requested, POLICY, CGROUP_V1).diskBytes).toBe(2 ** 40);
  });

  test("value below minimum rejected", () => {
    const error = catchConnectError(() => resolveSessionLimits(create(LimitsSchema, { memoryBytes: 1024n }), POLICY, CGROUP_V1));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(`limits.memory_bytes is 1024, below the minimum of ${MIN_LIMITS.memoryBytes}`);
  });

  test("unenforceable limit rejected as Unimplemented", () => {
    const enforcement: EnforcementMap = { ...CGROUP_V1, cpuMillicores: "none" };
    const error = catchConnectError(() => resolveSessionLimits(create(LimitsSchema, { cpuMillicores: 500 }), POLICY, enforcement));

    expect(error.code).toBe(Code.Unimplemented);
    expect(error.rawMessage).toContain("limits.cpu_millicores cannot be enforced on this host");
  });

  test("unenforceable default resolves to unlimited", () => {
    const enforcement: EnforcementMap = { ...CGROUP_V1, diskBytes: "none" };

    expect(resolveSessionLimits(undefined, POLICY, enforcement).diskBytes).toBe(0);
  });
});

describe("readLimitPolicy", () => {
  test("pairs each default with its maximum", () => {
    const policy = readLimitPolicy({
      defaultMemoryBytes: 1,
      maxMemoryBytes: 2,
      defaultMaxProcesses: 3,
      maxMaxProcesses: 4,
      defaultCpuMillicores: 5,
      maxCpuMillicores: 6,
      defaultDiskBytes: 7,
      maxDiskBytes: 8,
      defaultOpenFiles: 9,
      maxOpenFiles: 10,
      defaultFileSizeBytes: 11,
      maxFileSizeBytes: 12,
    });

    expect(policy.defaults).toEqual({ memoryBytes: 1, maxProcesses: 3, cpuMillicores: 5, diskBytes: 7, openFiles: 9, fileSizeBytes: 11 });
    expect(policy.maxima).toEqual({ memoryBytes: 2, maxProcesses: 4, cpuMillicores: 6, diskBytes: 8, openFiles: 10, fileSizeBytes: 12 });
  });
});
