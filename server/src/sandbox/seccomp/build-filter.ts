import { ERRNO, SECCOMP_DATA, SECCOMP_RET, X32_SYSCALL_BIT, argumentLowOffset } from "./abi.js";
import type { SeccompArchitecture } from "./architectures.js";
import { type FilterStep, assemble } from "./assemble.js";
import type { BpfInstruction } from "./bpf.js";
import { ALLOWED_PERSONALITIES, CLONE_NAMESPACE_FLAGS, DENIED_GROUPS, DENIED_IOCTL_REQUESTS } from "./policy.js";

const EPERM = "eperm";
const ENOSYS = "enosys";
const KILL = "kill";

/**
 * Builds the sandbox's seccomp filter for one architecture, as the policy
 * module describes it. The filter first checks the calling convention: a
 * call made through another one (32-bit code on a 64-bit kernel, or the
 * x32 ABI on x86_64) kills the process, because its numbers are not the
 * ones checked below. clone3 fails with ENOSYS: its flags lie in memory
 * that the filter cannot read, and glibc (2.34 and later) then falls back
 * to clone, whose flags it can.
 */
export function buildSeccompFilter(architecture: SeccompArchitecture): BpfInstruction[] {
  return assemble(planSeccompFilter(architecture));
}

/** Plans the filter's steps; buildSeccompFilter assembles them. */
export function planSeccompFilter(architecture: SeccompArchitecture): FilterStep[] {
  const syscalls = architecture.syscalls;
  const denied = DENIED_GROUPS.flatMap((group) => group.names.map((name) => syscalls[name])).filter((nr): nr is number => nr !== null);

  return [
    { kind: "load", offset: SECCOMP_DATA.arch },
    { kind: "jump", test: "eq", value: architecture.auditArch, then: null, else: KILL },
    { kind: "load", offset: SECCOMP_DATA.nr },
    ...(architecture.hasX32Abi ? [{ kind: "jump", test: "ge", value: X32_SYSCALL_BIT, then: KILL, else: null } as const] : []),
    ...denied.map((nr) => ({ kind: "jump", test: "eq", value: nr, then: EPERM, else: null }) as const),
    { kind: "jump", test: "eq", value: syscalls.clone, then: "clone", else: null },
    { kind: "jump", test: "eq", value: syscalls.clone3, then: ENOSYS, else: null },
    { kind: "jump", test: "eq", value: syscalls.ioctl, then: "ioctl", else: null },
    { kind: "jump", test: "eq", value: syscalls.personality, then: "personality", else: null },
    { kind: "return", value: SECCOMP_RET.allow },

    { kind: "label", name: "clone" },
    { kind: "load", offset: argumentLowOffset(0) },
    { kind: "jump", test: "set", value: CLONE_NAMESPACE_FLAGS, then: EPERM, else: null },
    { kind: "return", value: SECCOMP_RET.allow },

    { kind: "label", name: "ioctl" },
    { kind: "load", offset: argumentLowOffset(1) },
    ...DENIED_IOCTL_REQUESTS.map((request) => ({ kind: "jump", test: "eq", value: request, then: EPERM, else: null }) as const),
    { kind: "return", value: SECCOMP_RET.allow },

    { kind: "label", name: "personality" },
    { kind: "load", offset: argumentLowOffset(0) },
    ...ALLOWED_PERSONALITIES.map((persona) => ({ kind: "jump", test: "eq", value: persona, then: "allow", else: null }) as const),
    // Any other persona falls through to EPERM.
    { kind: "label", name: EPERM },
    { kind: "return", value: SECCOMP_RET.errno | ERRNO.EPERM },
    { kind: "label", name: "allow" },
    { kind: "return", value: SECCOMP_RET.allow },
    { kind: "label", name: ENOSYS },
    { kind: "return", value: SECCOMP_RET.errno | ERRNO.ENOSYS },
    { kind: "label", name: KILL },
    { kind: "return", value: SECCOMP_RET.killProcess },
  ];
}
