import { ExecutionStatus, Resource } from "../../gen/seatbelt/v1/execution_pb.js";
import type { LimitCounters } from "./cgroup-files.js";
import type { SessionLimits } from "./session-limits.js";

/** Signal that the kernel sends to a process that writes past RLIMIT_FSIZE. */
const SIGXFSZ = 25;

/** What is known about an execution when it ends, to tell whether a limit stopped it. */
export interface LimitEvidence {
  readonly limits: SessionLimits;
  readonly kind: "python" | "shell";
  readonly status: ExecutionStatus;
  readonly exitCode?: number | undefined;
  readonly signal?: number | undefined;
  /** Class name of the Python exception, such as "MemoryError". */
  readonly errorName?: string | undefined;
  /** Value of the Python exception, such as "[Errno 28] No space left on device". */
  readonly errorValue?: string | undefined;
  readonly interpreterRestarted: boolean;
  /** Cgroup counters when the execution started and when it ended; undefined without cgroups. */
  readonly before: LimitCounters | undefined;
  readonly after: LimitCounters | undefined;
  /** The size-limited file system that had no free space or inodes left at the end: "the workspace", "/tmp", "/var/tmp" or "/dev/shm". */
  readonly fullDisk: string | undefined;
}

/** A limit that stopped an execution, and the explanation for people. */
export interface ExceededLimit {
  readonly resource: Resource;
  readonly message: string;
}

/** Formats a byte count for people, such as "256 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1 && value % 1024 === 0) {
    value /= 1024;
    unit++;
  }
  return `${value} ${units[unit]}`;
}

function grew(evidence: LimitEvidence, counter: keyof LimitCounters): boolean {
  return evidence.before !== undefined && evidence.after !== undefined && evidence.after[counter] > evidence.before[counter];
}

function hasErrno(evidence: LimitEvidence, errno: number): boolean {
  return evidence.errorValue?.startsWith(`[Errno ${errno}]`) ?? false;
}

/**
 * Finds which resource limit stopped an execution, or undefined when none
 * did. The cgroup counters are exact. Disk, file size and open files are
 * inferred from what the failure looks like: a full workspace, SIGXFSZ (or a
 * shell's exit status 128 + SIGXFSZ for a child killed by it), or Python's
 * EFBIG and EMFILE errors, and only for an execution that failed. So is
 * memory where an rlimit enforces it: Python raises MemoryError when an
 * allocation passes RLIMIT_AS.
 */
export function findExceededLimit(evidence: LimitEvidence): ExceededLimit | undefined {
  const { limits } = evidence;
  if (grew(evidence, "oomKills")) {
    const victim = evidence.interpreterRestarted ? "the interpreter, and its variables are lost" : "a process of the session";
    return {
      resource: Resource.MEMORY,
      message: `out of memory: the session reached its memory limit of ${formatBytes(limits.memoryBytes)}, so the kernel killed ${victim}`,
    };
  }
  if (grew(evidence, "forkFailures")) {
    return {
      resource: Resource.PROCESSES,
      message: `too many processes: the session reached its limit of ${limits.maxProcesses} processes and threads, so every process of the session was killed and the interpreter was restarted without its variables`,
    };
  }
  if (evidence.status === ExecutionStatus.OK) {
    return undefined;
  }
  if (limits.memoryBytes > 0 && evidence.errorName === "MemoryError") {
    return { resource: Resource.MEMORY, message: `out of memory: a process reached the session's memory limit of ${formatBytes(limits.memoryBytes)}` };
  }
  const killedBySigxfsz = evidence.signal === SIGXFSZ || (evidence.kind === "shell" && evidence.exitCode === 128 + SIGXFSZ);
  if (limits.fileSizeBytes > 0 && (killedBySigxfsz || hasErrno(evidence, 27))) {
    return { resource: Resource.FILE_SIZE, message: `file too large: a process wrote past the file size limit of ${formatBytes(limits.fileSizeBytes)}` };
  }
  if (evidence.fullDisk !== undefined) {
    return { resource: Resource.DISK, message: `disk full: ${evidence.fullDisk} reached its size limit of ${formatBytes(limits.diskBytes)}` };
  }
  if (limits.openFiles > 0 && hasErrno(evidence, 24)) {
    return { resource: Resource.OPEN_FILES, message: `too many open files: a process reached the limit of ${limits.openFiles} open files` };
  }
  return undefined;
}
