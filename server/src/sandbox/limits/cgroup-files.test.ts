import { describe, expect, test } from "vitest";
import { buildCgroupWrites, parseKeyedValue, parseSingleValue } from "./cgroup-files.js";

const LIMITS = { memoryBytes: 256 << 20, maxProcesses: 64, cpuMillicores: 500, diskBytes: 0, openFiles: 1024, fileSizeBytes: 0 };
const UNLIMITED = { memoryBytes: 0, maxProcesses: 0, cpuMillicores: 0, diskBytes: 0, openFiles: 0, fileSizeBytes: 0 };

describe("buildCgroupWrites", () => {
  test("v1 writes memory, swap, pids and CPU quota", () => {
    expect(buildCgroupWrites(1, LIMITS)).toEqual([
      { controller: "memory", file: "memory.limit_in_bytes", value: "268435456" },
      { controller: "memory", file: "memory.memsw.limit_in_bytes", value: "268435456", optional: true },
      { controller: "pids", file: "pids.max", value: "64" },
      { controller: "cpu", file: "cpu.cfs_period_us", value: "100000" },
      { controller: "cpu", file: "cpu.cfs_quota_us", value: "50000" },
    ]);
  });

  test("v2 writes memory.max, swap off, pids.max and cpu.max", () => {
    expect(buildCgroupWrites(2, LIMITS)).toEqual([
      { controller: "memory", file: "memory.max", value: "268435456" },
      { controller: "memory", file: "memory.swap.max", value: "0", optional: true },
      { controller: "pids", file: "pids.max", value: "64" },
      { controller: "cpu", file: "cpu.max", value: "50000 100000" },
    ]);
  });

  test("unlimited session writes nothing", () => {
    expect(buildCgroupWrites(1, UNLIMITED)).toEqual([]);
    expect(buildCgroupWrites(2, UNLIMITED)).toEqual([]);
  });

  test("memory limit precedes swap limit", () => {
    // v1 rejects a memsw limit below the memory limit, so memory goes first.
    const files = buildCgroupWrites(1, LIMITS).map((write) => write.file);

    expect(files.indexOf("memory.limit_in_bytes")).toBeLessThan(files.indexOf("memory.memsw.limit_in_bytes"));
  });
});

describe("parseKeyedValue", () => {
  test("reads oom_kill from memory.oom_control", () => {
    expect(parseKeyedValue("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill")).toBe(3);
  });

  test("reads max from pids.events", () => {
    expect(parseKeyedValue("max 17\n", "max")).toBe(17);
  });

  test("missing key reads as zero", () => {
    expect(parseKeyedValue("oom_kill_disable 0\nunder_oom 0\n", "oom_kill")).toBe(0);
  });

  test("key must match whole word", () => {
    expect(parseKeyedValue("oom_kill_disable 1\n", "oom_kill")).toBe(0);
  });
});

describe("parseSingleValue", () => {
  test("number parsed", () => {
    expect(parseSingleValue("4096\n")).toBe(4096);
  });

  test("max reads as zero", () => {
    expect(parseSingleValue("max\n")).toBe(0);
  });
});
