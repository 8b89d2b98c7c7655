import type { SecurityLayerDescription } from "../security-layers.js";
import type { SeccompFilter } from "./filter.js";

/** Describes the seccomp layer for GetServerInfo: active with what it denies, or inactive with the reason. */
export function describeSeccomp(filter: SeccompFilter, backendAvailable: boolean): SecurityLayerDescription {
  if (!backendAvailable) {
    return { name: "seccomp", active: false, detail: "bubblewrap cannot start sandboxes here, so no session can be created", abiVersion: 0 };
  }
  if (!filter.active) {
    return { name: "seccomp", active: false, detail: filter.reason, abiVersion: 0 };
  }
  return {
    name: "seccomp",
    active: true,
    detail:
      `The ${filter.architecture} system call filter fails with EPERM ptrace and other access to another process's memory, mount, unshare, setns, ` +
      "clone with namespace flags, the kernel keyrings, bpf, perf_event_open, userfaultfd, io_uring, open_by_handle_at, calls that administer the machine, " +
      "and the TIOCSTI, TIOCLINUX and TIOCSETD ioctls. It fails clone3 with ENOSYS so that glibc falls back to clone, " +
      "and kills a process that calls through another architecture's system call interface.",
    abiVersion: 0,
  };
}
