import { describe, expect, test } from "vitest";
import { buildEnforcementMap } from "./limit-enforcer.js";
import { buildRlimits } from "./rlimits.js";

const LIMITS = { memoryBytes: 256 << 20, maxProcesses: 32, cpuMillicores: 1000, diskBytes: 64 << 20, openFiles: 128, fileSizeBytes: 1 << 20 };
const V1_SETUP = { version: 1 as const, instanceDirs: new Map([["memory", "/m"], ["pids", "/p"], ["cpu", "/c"], ["cpuacct", "/a"]] as const) };

describe("buildRlimits", () => {
  test("cgroups leave only open files and file size", () => {
    expect(buildRlimits(LIMITS, buildEnforcementMap(V1_SETUP, true))).toEqual({ nofile: 128, fsize: 1 << 20 });
  });

  test("without cgroups memory and processes fall back", () => {
    expect(buildRlimits(LIMITS, buildEnforcementMap(undefined, true))).toEqual({ nofile: 128, fsize: 1 << 20, as: 256 << 20, nproc: 32 });
  });

  test("unlimited values set nothing", () => {
    const unlimited = { memoryBytes: 0, maxProcesses: 0, cpuMillicores: 0, diskBytes: 0, openFiles: 0, fileSizeBytes: 0 };

    expect(buildRlimits(unlimited, buildEnforcementMap(undefined, false))).toEqual({});
  });
});

describe("buildEnforcementMap", () => {
  test("v1 controllers enforce memory, processes and CPU", () => {
    expect(buildEnforcementMap(V1_SETUP, true)).toEqual({
      memoryBytes: "cgroup-v1",
      maxProcesses: "cgroup-v1",
      cpuMillicores: "cgroup-v1",
      diskBytes: "tmpfs",
      openFiles: "rlimit",
      fileSizeBytes: "rlimit",
    });
  });

  test("missing controller falls back or is not enforced", () => {
    const memoryOnly = { version: 2 as const, instanceDirs: new Map([["memory", "/g"]] as const) };

    expect(buildEnforcementMap(memoryOnly, false)).toEqual({
      memoryBytes: "cgroup-v2",
      maxProcesses: "rlimit",
      cpuMillicores: "none",
      diskBytes: "none",
      openFiles: "rlimit",
      fileSizeBytes: "rlimit",
    });
  });
});
