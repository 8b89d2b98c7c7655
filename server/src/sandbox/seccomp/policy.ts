/**
 * The seccomp filter's denials and their reasons. Every other system call is
 * allowed: the filter narrows the kernel interface that the sandbox's
 * namespaces leave open, and lists only calls that Python, pip, numpy, sh
 * and coreutils do not make in normal use.
 */

/** A group of system calls that fail with EPERM whatever their arguments. */
export interface DeniedGroup {
  readonly reason: string;
  readonly names: readonly string[];
}

/** System calls that fail with EPERM whatever their arguments, grouped by the reason. */
export const DENIED_GROUPS = [
  {
    // The session's processes all run as one user, so without this filter
    // one of them could attach to or read any other, bubblewrap's pid 1
    // included.
    reason: "read or change another process's memory, state or file descriptors",
    names: ["ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp"],
  },
  {
    // bubblewrap builds the mount tree and the namespaces before the filter
    // is loaded; nothing in the sandbox needs to change them afterwards.
    reason: "change mounts, the root directory or namespaces",
    names: [
      "mount",
      "umount2",
      "pivot_root",
      "chroot",
      "move_mount",
      "open_tree",
      "open_tree_attr",
      "fsopen",
      "fsconfig",
      "fsmount",
      "fspick",
      "mount_setattr",
      "unshare",
      "setns",
    ],
  },
  {
    // A user's keyring is shared by every sandbox that runs as that user,
    // so one session could clear or replace another's keys.
    reason: "use the kernel keyrings, which every sandbox of the same user shares",
    names: ["keyctl", "add_key", "request_key"],
  },
  {
    // Large kernel interfaces with a history of privilege escalation bugs.
    // io_uring also performs its operations without passing them through
    // the filter.
    reason: "reach large kernel interfaces with a history of privilege escalation bugs",
    names: ["bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register"],
  },
  {
    // open_by_handle_at opens a file from a handle without a path, so it
    // can reach files outside the sandbox's mount tree on the same file
    // system. name_to_handle_at stays allowed: the handle it returns is of
    // no use without open_by_handle_at.
    reason: "open files by handle, which bypasses the mount tree",
    names: ["open_by_handle_at"],
  },
  {
    reason: "administer the machine: kernel modules, kexec, swap, reboot, the kernel log, accounting, quotas, the clock and the terminal",
    names: [
      "kexec_load",
      "kexec_file_load",
      "init_module",
      "finit_module",
      "delete_module",
      "swapon",
      "swapoff",
      "reboot",
      "syslog",
      "acct",
      "quotactl",
      "quotactl_fd",
      "lookup_dcookie",
      "vhangup",
      "settimeofday",
      "clock_settime",
      "clock_adjtime",
      "adjtimex",
    ],
  },
  {
    // x86_64 only. I/O port access, local descriptor tables and a.out
    // libraries serve legacy programs, and modify_ldt has been used in
    // kernel exploits.
    reason: "use x86 I/O ports, local descriptor tables or a.out libraries",
    names: ["iopl", "ioperm", "modify_ldt", "uselib"],
  },
] as const satisfies readonly DeniedGroup[];

/** Name of a system call that fails with EPERM whatever its arguments. */
export type DeniedSyscall = (typeof DENIED_GROUPS)[number]["names"][number];

/** System calls that the filter checks by their arguments, or fails with ENOSYS. */
export type CheckedSyscall = "clone" | "clone3" | "ioctl" | "personality";

/** Every system call that the filter names. */
export type SyscallName = DeniedSyscall | CheckedSyscall;

/**
 * Namespace flags of clone: CLONE_NEWTIME, NEWNS, NEWCGROUP, NEWUTS,
 * NEWIPC, NEWUSER, NEWPID and NEWNET. A clone with any of them fails with
 * EPERM. The flags are clone's first argument on every architecture, and
 * the kernel reads only its low 32 bits. CLONE_NEWTIME (0x80) lies in the
 * byte that clone reads as the exit signal, which no valid signal sets, so
 * it is checked too.
 */
export const CLONE_NAMESPACE_FLAGS = 0x0000_0080 | 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 | 0x2000_0000 | 0x4000_0000;

/**
 * ioctl requests that fail with EPERM: TIOCSTI, which pushes input into a
 * terminal as if typed, TIOCLINUX, whose subcommands paste a virtual
 * console's selection, and TIOCSETD. TIOCSETD sets a terminal's line
 * discipline, which makes the kernel load its module when
 * dev.tty.ldisc_autoload is 1, and the n_gsm and n_hdlc disciplines have
 * had privilege escalation bugs. Any user can do it on a pty of its own.
 * The request is an unsigned int, so the filter compares the low 32 bits,
 * as the kernel reads it.
 */
export const DENIED_IOCTL_REQUESTS = [0x5412, 0x541c, 0x5423] as const;

/**
 * personality values allowed: PER_LINUX, PER_LINUX32, each with and
 * without UNAME26, and 0xffffffff, which only reads the persona. Other
 * values fail with EPERM: their flags (ADDR_NO_RANDOMIZE,
 * READ_IMPLIES_EXEC, MMAP_PAGE_ZERO and others) turn off protections that
 * make exploits harder.
 */
export const ALLOWED_PERSONALITIES = [0x0000_0000, 0x0000_0008, 0x0002_0000, 0x0002_0008, 0xffff_ffff] as const;
