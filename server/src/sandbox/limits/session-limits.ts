import { Code, ConnectError } from "@connectrpc/connect";
import type { Limits } from "../../gen/seatbelt/v1/session_pb.js";

/** Names of the resource limits that this module resolves, as in the Limits message. */
export const LIMIT_NAMES = ["memoryBytes", "maxProcesses", "cpuMillicores", "diskBytes", "openFiles", "fileSizeBytes"] as const;

export type LimitName = (typeof LIMIT_NAMES)[number];

/** Value of every limit of a session; 0 means that the resource is not limited. */
export type SessionLimits = Readonly<Record<LimitName, number>>;

/** Mechanism that enforces one limit on this host. */
export type Mechanism = "cgroup-v2" | "cgroup-v1" | "rlimit" | "tmpfs" | "none";

/** How each limit is enforced here; "none" means that requests for it are rejected. */
export type EnforcementMap = Readonly<Record<LimitName, Mechanism>>;

/** Defaults and maxima from the server's configuration; a maximum of 0 means none. */
export interface LimitPolicy {
  readonly defaults: SessionLimits;
  readonly maxima: SessionLimits;
}

/**
 * Smallest value accepted for each limit. Below these the sandbox's own
 * processes (bubblewrap, the supervisor and the interpreter, about 30 MiB and
 * 6 tasks) cannot start, and the kernel takes no CPU quota under 1 ms per
 * 100 ms period.
 */
export const MIN_LIMITS: SessionLimits = {
  memoryBytes: 64 * 1024 ** 2,
  maxProcesses: 16,
  cpuMillicores: 10,
  diskBytes: 1024 ** 2,
  openFiles: 64,
  fileSizeBytes: 4096,
};

/** Field names of Limits as the API spells them, for messages. */
export const LIMIT_FIELDS: Readonly<Record<LimitName, string>> = {
  memoryBytes: "memory_bytes",
  maxProcesses: "max_processes",
  cpuMillicores: "cpu_millicores",
  diskBytes: "disk_bytes",
  openFiles: "open_files",
  fileSizeBytes: "file_size_bytes",
};

/** Settings of the server configuration that make up the limit policy. */
export interface LimitConfig {
  readonly defaultMemoryBytes: number;
  readonly maxMemoryBytes: number;
  readonly defaultMaxProcesses: number;
  readonly maxMaxProcesses: number;
  readonly defaultCpuMillicores: number;
  readonly maxCpuMillicores: number;
  readonly defaultDiskBytes: number;
  readonly maxDiskBytes: number;
  readonly defaultOpenFiles: number;
  readonly maxOpenFiles: number;
  readonly defaultFileSizeBytes: number;
  readonly maxFileSizeBytes: number;
}

/** Collects the limit policy from the server configuration. */
export function readLimitPolicy(config: LimitConfig): LimitPolicy {
  return {
    defaults: {
      memoryBytes: config.defaultMemoryBytes,
      maxProcesses: config.defaultMaxProcesses,
      cpuMillicores: config.defaultCpuMillicores,
      diskBytes: config.defaultDiskBytes,
      openFiles: config.defaultOpenFiles,
      fileSizeBytes: config.defaultFileSizeBytes,
    },
    maxima: {
      memoryBytes: config.maxMemoryBytes,
      maxProcesses: config.maxMaxProcesses,
      cpuMillicores: config.maxCpuMillicores,
      diskBytes: config.maxDiskBytes,
      openFiles: config.maxOpenFiles,
      fileSizeBytes: config.maxFileSizeBytes,
    },
  };
}

function readRequested(limits: Limits | undefined, name: LimitName): number {
  const value = limits?.[name] ?? 0;
  return typeof value === "bigint" ? Number(value) : value;
}

/**
 * Turns the limits of a CreateSessionRequest into the limits of the session:
 * zero takes the server's default, a value above the server's maximum is
 * rejected, and so is a limit that this host cannot enforce, rather than
 * accepted and ignored. A default that the host cannot enforce resolves to
 * 0, so the session reports it as not limited.
 * @throws ConnectError INVALID_ARGUMENT or UNIMPLEMENTED naming the field.
 */
export function resolveSessionLimits(requested: Limits | undefined, policy: LimitPolicy, enforcement: EnforcementMap): SessionLimits {
  const resolved = {} as Record<LimitName, number>;
  for (const name of LIMIT_NAMES) {
    const field = `limits.${LIMIT_FIELDS[name]}`;
    const value = readRequested(requested, name);
    if (value !== 0 && enforcement[name] === "none") {
      throw new ConnectError(`${field} cannot be enforced on this host (GetServerInfo lists how each limit is enforced); leave it unset`, Code.Unimplemented);
    }
    const maximum = policy.maxima[name];
    if (maximum !== 0 && value > maximum) {
      throw new ConnectError(`${field} is ${value}, above the server's maximum of ${maximum}`, Code.InvalidArgument);
    }
    if (value !== 0 && value < MIN_LIMITS[name]) {
      throw new ConnectError(`${field} is ${value}, below the minimum of ${MIN_LIMITS[name]} that a sandbox needs to start`, Code.InvalidArgument);
    }
    resolved[name] = enforcement[name] === "none" ? 0 : value || policy.defaults[name];
  }
  return resolved;
}
