import type { CheckedSyscall, DeniedSyscall } from "./policy.js";

/**
 * System call numbers of one architecture for every call that the filter
 * names. A denied call is null where the architecture has no such call;
 * the calls checked by their arguments exist everywhere.
 */
export type SyscallTable = Readonly<Record<DeniedSyscall, number | null> & Record<CheckedSyscall, number>>;

/**
 * Numbers of system calls added in Linux 5.1 and later, which are the
 * same on every architecture: from pidfd_send_signal (424) on, all of
 * them share one numbering.
 */
export const UNIFIED_SYSCALLS = {
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  clone3: 435,
  pidfd_getfd: 438,
  process_madvise: 440,
  mount_setattr: 442,
  quotactl_fd: 443,
  open_tree_attr: 467,
} as const;
