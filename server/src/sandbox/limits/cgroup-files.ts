import type { SessionLimits } from "./session-limits.js";

/** Version of the cgroup interface that a hierarchy speaks. */
export type CgroupVersion = 1 | 2;

/** Controllers that enforce session limits or measure what a session uses. */
export type Controller = "memory" | "pids" | "cpu" | "cpuacct";

/** One value to write into a control file of a session's cgroup. */
export interface CgroupWrite {
  readonly controller: Controller;
  readonly file: string;
  readonly value: string;
  /** True for files that only some kernels have, such as the swap limit, which is skipped when missing. */
  readonly optional?: boolean;
}

/** Length of one CPU bandwidth period. @default 100000 µs, the kernel's own default */
export const CPU_PERIOD_US = 100_000;

/**
 * Returns the control-file writes that apply limits to a fresh cgroup, in
 * order. Limits of 0 are left at the kernel's default, which is unlimited.
 * The swap limit equals the memory limit in v1 (memsw counts memory plus
 * swap) and is 0 in v2 (swap only), so a session cannot swap its way past
 * its memory limit.
 */
export function buildCgroupWrites(version: CgroupVersion, limits: SessionLimits): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  const quotaUs = Math.round((limits.cpuMillicores * CPU_PERIOD_US) / 1000);
  if (version === 1) {
    if (limits.memoryBytes > 0) {
      writes.push({ controller: "memory", file: "memory.limit_in_bytes", value: String(limits.memoryBytes) });
      writes.push({ controller: "memory", file: "memory.memsw.limit_in_bytes", value: String(limits.memoryBytes), optional: true });
    }
    if (limits.maxProcesses > 0) {
      writes.push({ controller: "pids", file: "pids.max", value: String(limits.maxProcesses) });
    }
    if (limits.cpuMillicores > 0) {
      writes.push({ controller: "cpu", file: "cpu.cfs_period_us", value: String(CPU_PERIOD_US) });
      writes.push({ controller: "cpu", file: "cpu.cfs_quota_us", value: String(quotaUs) });
    }
    return writes;
  }
  if (limits.memoryBytes > 0) {
    writes.push({ controller: "memory", file: "memory.max", value: String(limits.memoryBytes) });
    writes.push({ controller: "memory", file: "memory.swap.max", value: "0", optional: true });
  }
  if (limits.maxProcesses > 0) {
    writes.push({ controller: "pids", file: "pids.max", value: String(limits.maxProcesses) });
  }
  if (limits.cpuMillicores > 0) {
    writes.push({ controller: "cpu", file: "cpu.max", value: `${quotaUs} ${CPU_PERIOD_US}` });
  }
  return writes;
}

/** Counters that tell which limit a session has run into, each only ever growing. */
export interface LimitCounters {
  /** Processes that the kernel's OOM killer killed in the session. */
  readonly oomKills: number;
  /** Forks and clones that failed because the session was at its process limit. */
  readonly forkFailures: number;
}

/** Files that hold the counters of LimitCounters, and the key of each counter within its file. */
export const COUNTER_FILES: Readonly<Record<CgroupVersion, Readonly<Record<keyof LimitCounters, { controller: Controller; file: string; key: string }>>>> = {
  1: {
    oomKills: { controller: "memory", file: "memory.oom_control", key: "oom_kill" },
    forkFailures: { controller: "pids", file: "pids.events", key: "max" },
  },
  2: {
    oomKills: { controller: "memory", file: "memory.events", key: "oom_kill" },
    forkFailures: { controller: "pids", file: "pids.events", key: "max" },
  },
};

/**
 * Reads one counter from the text of a flat-keyed cgroup file ("key value"
 * per line), such as memory.events or pids.events. Returns 0 when the key is
 * missing, which older kernels do for oom_kill.
 */
export function parseKeyedValue(text: string, key: string): number {
  for (const line of text.split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key && value !== undefined) {
      const number = Number(value);
      return Number.isFinite(number) ? number : 0;
    }
  }
  return 0;
}

/** Returns the number in a single-value cgroup file, or 0 for "max" and unreadable text. */
export function parseSingleValue(text: string): number {
  const number = Number(text.trim());
  return Number.isFinite(number) ? number : 0;
}

/** Files from which the resource use of a session is read; usage files hold one number, except where a key is given. */
export const USAGE_FILES: Readonly<
  Record<CgroupVersion, Readonly<Record<"memoryBytes" | "memoryPeakBytes" | "processes" | "cpuUsec", { controller: Controller; file: string; key?: string; scale?: number }>>>
> = {
  1: {
    memoryBytes: { controller: "memory", file: "memory.usage_in_bytes" },
    memoryPeakBytes: { controller: "memory", file: "memory.max_usage_in_bytes" },
    processes: { controller: "pids", file: "pids.current" },
    // cpuacct.usage counts nanoseconds.
    cpuUsec: { controller: "cpuacct", file: "cpuacct.usage", scale: 1 / 1000 },
  },
  2: {
    memoryBytes: { controller: "memory", file: "memory.current" },
    memoryPeakBytes: { controller: "memory", file: "memory.peak" },
    processes: { controller: "pids", file: "pids.current" },
    cpuUsec: { controller: "cpu", file: "cpu.stat", key: "usage_usec" },
  },
};
