import { Resource } from "../../gen/seatbelt/v1/execution_pb.js";
import { Enforcement } from "../../gen/seatbelt/v1/server_info_pb.js";
import { type EnforcementMap, LIMIT_NAMES, type LimitName, type LimitPolicy, type Mechanism } from "./session-limits.js";

/** One limit as GetServerInfo describes it. */
export interface LimitDescription {
  readonly resource: Resource;
  readonly enforcement: Enforcement;
  readonly detail: string;
  readonly defaultValue: bigint;
  readonly maxValue: bigint;
}

const RESOURCES: Readonly<Record<LimitName, Resource>> = {
  memoryBytes: Resource.MEMORY,
  maxProcesses: Resource.PROCESSES,
  cpuMillicores: Resource.CPU,
  diskBytes: Resource.DISK,
  openFiles: Resource.OPEN_FILES,
  fileSizeBytes: Resource.FILE_SIZE,
};

const ENFORCEMENTS: Readonly<Record<Mechanism, Enforcement>> = {
  "cgroup-v2": Enforcement.CGROUP_V2,
  "cgroup-v1": Enforcement.CGROUP_V1,
  rlimit: Enforcement.RLIMIT,
  tmpfs: Enforcement.TMPFS,
  none: Enforcement.NOT_ENFORCED,
};

/** Explanation of each limit under each mechanism that can enforce it. */
const DETAILS: Readonly<Record<LimitName, Partial<Record<Mechanism, string>>>> = {
  memoryBytes: {
    "cgroup-v2": "memory.max of the session's cgroup, with swap off; the kernel kills the largest process of the session when it is reached",
    "cgroup-v1": "memory.limit_in_bytes (and memory.memsw.limit_in_bytes) of the session's cgroup; the kernel kills the largest process of the session when it is reached",
    rlimit: "RLIMIT_AS of each process: it caps the address space of one process, not the memory of the session",
  },
  maxProcesses: {
    "cgroup-v2": "pids.max of the session's cgroup, which counts processes and threads",
    "cgroup-v1": "pids.max of the session's cgroup, which counts processes and threads",
    rlimit: "RLIMIT_NPROC, set inside the sandbox's user namespace: Linux 5.14 and later count it per sandbox, older kernels across every sandbox, which share one user",
  },
  cpuMillicores: {
    "cgroup-v2": "cpu.max of the session's cgroup: a quota per 100 ms period",
    "cgroup-v1": "cpu.cfs_quota_us of the session's cgroup: a quota per 100 ms period",
  },
  diskBytes: {
    tmpfs: "a tmpfs of this size at the workspace, whose files count toward the session's memory too; /tmp, /var/tmp and /dev/shm get the same size each",
  },
  openFiles: { rlimit: "RLIMIT_NOFILE of each process" },
  fileSizeBytes: { rlimit: "RLIMIT_FSIZE of each process" },
};

/** Describes how each limit is enforced, with the server's default and maximum. */
export function describeEnforcement(enforcement: EnforcementMap, policy: LimitPolicy, cgroupReason: string): LimitDescription[] {
  return LIMIT_NAMES.map((name) => {
    const mechanism = enforcement[name];
    let detail = DETAILS[name][mechanism] ?? "";
    if (mechanism === "none") {
      detail = name === "diskBytes" ? "needs a server that runs as root, to mount the workspace tmpfs" : `needs a cgroup: ${cgroupReason}`;
    } else if (mechanism === "rlimit" && cgroupReason !== "" && (name === "memoryBytes" || name === "maxProcesses")) {
      detail = `${detail} (no cgroup: ${cgroupReason})`;
    }
    return {
      resource: RESOURCES[name],
      enforcement: ENFORCEMENTS[mechanism],
      detail,
      defaultValue: BigInt(mechanism === "none" ? 0 : policy.defaults[name]),
      maxValue: BigInt(policy.maxima[name]),
    };
  });
}
