/**
 * The kernel's side of a seccomp filter: the layout of struct seccomp_data
 * that the filter reads, and the values it returns (linux/seccomp.h,
 * linux/audit.h).
 */

/** Byte offsets in struct seccomp_data. */
export const SECCOMP_DATA = {
  /** int nr: the system call number. */
  nr: 0,
  /** u32 arch: the AUDIT_ARCH_* value of the calling convention. */
  arch: 4,
} as const;

/**
 * Offset of the low 32 bits of a system call's argument (0 to 5): args is
 * an array of u64 at offset 16, and both supported architectures are
 * little-endian, so the low half comes first.
 */
export function argumentLowOffset(index: number): number {
  return 16 + 8 * index;
}

/** Filter return values; the kernel acts on the highest-priority one when several filters apply. */
export const SECCOMP_RET = {
  /** Kills the whole process, as if by SIGSYS (Linux 4.14 and later). */
  killProcess: 0x8000_0000,
  /** Fails the call with the errno in the low 16 bits. */
  errno: 0x0005_0000,
  allow: 0x7fff_0000,
} as const;

/** AUDIT_ARCH_* values: the ELF machine with the 64-bit and little-endian flags. */
export const AUDIT_ARCH = {
  x86_64: 0xc000_003e,
  aarch64: 0xc000_00b7,
} as const;

/** Bit that marks an x32 system call number on x86_64 (__X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x4000_0000;

/** errno values that the filter returns; the same on x86_64 and aarch64. */
export const ERRNO = {
  EPERM: 1,
  ENOSYS: 38,
} as const;
