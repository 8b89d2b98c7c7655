import type { EnforcementMap, SessionLimits } from "./session-limits.js";

/** Resource limits that the supervisor sets on itself before it starts the interpreter, by the name its runtime uses. */
export type Rlimits = Partial<Record<"nofile" | "fsize" | "as" | "nproc", number>>;

/**
 * Returns the resource limits (setrlimit) of a session's sandbox. Open files
 * and file size are always rlimits. Memory and processes become RLIMIT_AS
 * and RLIMIT_NPROC only where no cgroup enforces them, because both are
 * cruder: RLIMIT_AS caps the address space of each process rather than the
 * memory of the session, and RLIMIT_NPROC counts per user.
 */
export function buildRlimits(limits: SessionLimits, enforcement: EnforcementMap): Rlimits {
  const rlimits: Rlimits = {};
  if (limits.openFiles > 0) {
    rlimits.nofile = limits.openFiles;
  }
  if (limits.fileSizeBytes > 0) {
    rlimits.fsize = limits.fileSizeBytes;
  }
  if (limits.memoryBytes > 0 && enforcement.memoryBytes === "rlimit") {
    rlimits.as = limits.memoryBytes;
  }
  if (limits.maxProcesses > 0 && enforcement.maxProcesses === "rlimit") {
    rlimits.nproc = limits.maxProcesses;
  }
  return rlimits;
}
