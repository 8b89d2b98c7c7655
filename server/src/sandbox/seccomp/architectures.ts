import { AARCH64_SYSCALLS } from "./aarch64-syscalls.js";
import { AUDIT_ARCH } from "./abi.js";
import type { SyscallTable } from "./syscall-table.js";
import { X86_64_SYSCALLS } from "./x86-64-syscalls.js";

/** Facts about one architecture that the filter is built from. */
export interface SeccompArchitecture {
  /** Kernel name of the architecture, as `uname -m` prints it. */
  readonly name: "x86_64" | "aarch64";
  /** The only AUDIT_ARCH_* value that the filter lets through. */
  readonly auditArch: number;
  readonly syscalls: SyscallTable;
  /**
   * True on x86_64, whose x32 ABI shares AUDIT_ARCH_X86_64 and marks its
   * system call numbers with a high bit instead.
   */
  readonly hasX32Abi: boolean;
}

/** Architectures that the filter supports, keyed by Node's process.arch. */
export const SECCOMP_ARCHITECTURES: Readonly<Record<string, SeccompArchitecture>> = {
  x64: { name: "x86_64", auditArch: AUDIT_ARCH.x86_64, syscalls: X86_64_SYSCALLS, hasX32Abi: true },
  arm64: { name: "aarch64", auditArch: AUDIT_ARCH.aarch64, syscalls: AARCH64_SYSCALLS, hasX32Abi: false },
};
