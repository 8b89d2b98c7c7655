import { describe, expect, test } from "vitest";
import { AUDIT_ARCH } from "./abi.js";
import { SECCOMP_ARCHITECTURES, type SeccompArchitecture } from "./architectures.js";
import { FilterAssemblyError, assemble } from "./assemble.js";
import { MAX_PROGRAM_INSTRUCTIONS } from "./bpf.js";
import { getSeccompFilter } from "./filter.js";
import { DENIED_GROUPS, type SyscallName } from "./policy.js";

// This file is the specification of the filter: it runs the encoded
// program through a classic BPF interpreter written for the test, the way
// the kernel runs it on each system call, and checks what it returns.

const ALLOW = "allow";
const EPERM = "errno 1";
const ENOSYS = "errno 38";
const KILL = "kill process";

/** struct seccomp_data: nr, arch, instruction_pointer, args[6]. */
interface SeccompData {
  readonly arch: number;
  readonly nr: number;
  readonly args?: readonly bigint[];
}

function encodeSeccompData(data: SeccompData): DataView {
  const view = new DataView(new ArrayBuffer(64));
  view.setInt32(0, data.nr, true);
  view.setUint32(4, data.arch, true);
  (data.args ?? []).forEach((arg, index) => view.setBigUint64(16 + 8 * index, BigInt.asUintN(64, arg), true));
  return view;
}

/** Names a seccomp return value the way the assertions below spell it. */
function describeAction(value: number): string {
  const action = value & 0xffff_0000;
  if (action === 0x7fff_0000) {
    return ALLOW;
  }
  if (action === 0x0005_0000) {
    return `errno ${value & 0xffff}`;
  }
  if (value >>> 0 === 0x8000_0000) {
    return KILL;
  }
  return `unknown action 0x${(value >>> 0).toString(16)}`;
}

/**
 * Runs an encoded filter on one system call. It accepts only the
 * instructions the filter may use, and checks what the kernel's loader
 * checks for them: aligned loads inside seccomp_data, and jumps inside
 * the program.
 */
function runFilter(program: Uint8Array, data: SeccompData): string {
  const code = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const input = encodeSeccompData(data);
  const length = program.byteLength / 8;
  let accumulator = 0;
  let pc = 0;
  for (let steps = 0; steps <= length; steps += 1) {
    if (pc >= length) {
      throw new Error(`the program runs past its end at instruction ${pc}`);
    }
    const opcode = code.getUint16(pc * 8, true);
    const jt = code.getUint8(pc * 8 + 2);
    const jf = code.getUint8(pc * 8 + 3);
    const k = code.getUint32(pc * 8 + 4, true);
    pc += 1;
    switch (opcode) {
      case 0x20: // BPF_LD | BPF_W | BPF_ABS
        if (k % 4 !== 0 || k + 4 > 64) {
          throw new Error(`load from invalid seccomp_data offset ${k}`);
        }
        accumulator = input.getUint32(k, true);
        break;
      case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
        pc += accumulator === k ? jt : jf;
        break;
      case 0x35: // BPF_JMP | BPF_JGE | BPF_K
        pc += accumulator >= k ? jt : jf;
        break;
      case 0x45: // BPF_JMP | BPF_JSET | BPF_K
        pc += (accumulator & k) !== 0 ? jt : jf;
        break;
      case 0x06: // BPF_RET | BPF_K
        return describeAction(k);
      default:
        throw new Error(`unexpected opcode 0x${opcode.toString(16)} at instruction ${pc - 1}`);
    }
  }
  throw new Error("the program did not return");
}

function requireArchitecture(nodeArch: string): SeccompArchitecture {
  const architecture = SECCOMP_ARCHITECTURES[nodeArch];
  if (architecture === undefined) {
    throw new Error(`no architecture ${nodeArch}`);
  }
  return architecture;
}

function requireProgram(nodeArch: string): Uint8Array {
  const filter = getSeccompFilter(nodeArch);
  if (!filter.active) {
    throw new Error(filter.reason);
  }
  return filter.program;
}

const ARCHITECTURES = [
  { nodeArch: "x64", ...requireArchitecture("x64"), program: requireProgram("x64") },
  { nodeArch: "arm64", ...requireArchitecture("arm64"), program: requireProgram("arm64") },
];

/** Numbers of ordinary system calls, which the filter must allow. */
const ORDINARY_SYSCALLS: Record<string, { x64: number; arm64: number }> = {
  read: { x64: 0, arm64: 63 },
  write: { x64: 1, arm64: 64 },
  openat: { x64: 257, arm64: 56 },
  mmap: { x64: 9, arm64: 222 },
  futex: { x64: 202, arm64: 98 },
  execve: { x64: 59, arm64: 221 },
  wait4: { x64: 61, arm64: 260 },
  kill: { x64: 62, arm64: 129 },
  socket: { x64: 41, arm64: 198 },
  prctl: { x64: 157, arm64: 167 },
  seccomp: { x64: 317, arm64: 277 },
  mknodat: { x64: 259, arm64: 33 },
  name_to_handle_at: { x64: 303, arm64: 264 },
  pidfd_open: { x64: 434, arm64: 434 },
  landlock_create_ruleset: { x64: 444, arm64: 444 },
  landlock_restrict_self: { x64: 446, arm64: 446 },
  sethostname: { x64: 170, arm64: 161 },
};

/** Every system call that fails with EPERM whatever its arguments. */
const DENIED: readonly SyscallName[] = [
  "ptrace",
  "process_vm_readv",
  "process_vm_writev",
  "process_madvise",
  "pidfd_getfd",
  "kcmp",
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
  "keyctl",
  "add_key",
  "request_key",
  "bpf",
  "perf_event_open",
  "userfaultfd",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "open_by_handle_at",
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
];

/** Denied on x86_64 only, since aarch64 has no such calls. */
const DENIED_ON_X86_64: readonly SyscallName[] = ["iopl", "ioperm", "modify_ldt", "uselib"];

const CLONE_NAMESPACE_FLAGS = {
  CLONE_NEWTIME: 0x80n,
  CLONE_NEWNS: 0x0002_0000n,
  CLONE_NEWCGROUP: 0x0200_0000n,
  CLONE_NEWUTS: 0x0400_0000n,
  CLONE_NEWIPC: 0x0800_0000n,
  CLONE_NEWUSER: 0x1000_0000n,
  CLONE_NEWPID: 0x2000_0000n,
  CLONE_NEWNET: 0x4000_0000n,
};

const SIGCHLD = 17n;
/** The flags that glibc's pthread_create passes to clone. */
const THREAD_FLAGS = 0x0001_0000n | 0x0000_0100n | 0x0000_0200n | 0x0000_0400n | 0x0000_0800n | 0x0004_0000n | 0x0008_0000n | 0x0010_0000n | 0x0020_0000n;
/** The flags of vfork as glibc and Python's subprocess issue it through clone. */
const VFORK_FLAGS = 0x0000_4000n | 0x0000_0100n | SIGCHLD;

describe.each(ARCHITECTURES)("seccomp filter on $name", ({ nodeArch, auditArch, syscalls, program }) => {
  const call = (nr: number, args: readonly bigint[] = []) => runFilter(program, { arch: auditArch, nr, args });

  test("fits the kernel's program limits", () => {
    expect(program.byteLength % 8).toBe(0);
    expect(program.byteLength / 8).toBeLessThanOrEqual(MAX_PROGRAM_INSTRUCTIONS);
  });

  test.each(DENIED)("denies %s with EPERM", (name) => {
    const nr = syscalls[name];

    expect(nr).not.toBeNull();
    expect(call(nr!, [0n, 0n, 0n])).toBe(EPERM);
  });

  test.each(Object.entries(ORDINARY_SYSCALLS))("allows %s", (_name, numbers) => {
    const nr = nodeArch === "x64" ? numbers.x64 : numbers.arm64;

    expect(call(nr)).toBe(ALLOW);
  });

  test.each(Object.entries(CLONE_NAMESPACE_FLAGS))("denies clone with %s", (_name, flag) => {
    expect(call(syscalls.clone, [flag | SIGCHLD])).toBe(EPERM);
  });

  test("denies clone with every namespace flag at once", () => {
    const all = Object.values(CLONE_NAMESPACE_FLAGS).reduce((flags, flag) => flags | flag, 0n);

    expect(call(syscalls.clone, [all | SIGCHLD])).toBe(EPERM);
  });

  test.each([
    ["fork", SIGCHLD],
    ["a thread", THREAD_FLAGS],
    ["vfork", VFORK_FLAGS],
    ["bits above 32, which the kernel ignores", 0xffff_ffff_0000_0000n | SIGCHLD],
  ])("allows clone for %s", (_name, flags) => {
    expect(call(syscalls.clone, [flags, 0n, 0n, 0n, 0n])).toBe(ALLOW);
  });

  test("fails clone3 with ENOSYS so that glibc falls back to clone", () => {
    expect(call(syscalls.clone3, [0n, 88n])).toBe(ENOSYS);
  });

  test.each([
    ["TIOCSTI", 0x5412n],
    ["TIOCLINUX", 0x541cn],
    ["TIOCSETD", 0x5423n],
    ["TIOCSTI with high bits set", 0xffff_ffff_0000_5412n],
  ])("denies ioctl %s", (_name, request) => {
    expect(call(syscalls.ioctl, [0n, request, 0n])).toBe(EPERM);
  });

  test.each([
    ["TCGETS", 0x5401n],
    ["TIOCGWINSZ", 0x5413n],
    ["FIONREAD", 0x541bn],
    ["FIOCLEX", 0x5451n],
  ])("allows ioctl %s", (_name, request) => {
    expect(call(syscalls.ioctl, [1n, request, 0n])).toBe(ALLOW);
  });

  test.each([
    ["PER_LINUX", 0n],
    ["PER_LINUX32", 0x8n],
    ["UNAME26", 0x2_0000n],
    ["a query", 0xffff_ffffn],
  ])("allows personality %s", (_name, persona) => {
    expect(call(syscalls.personality, [persona])).toBe(ALLOW);
  });

  test.each([
    ["ADDR_NO_RANDOMIZE", 0x004_0000n],
    ["READ_IMPLIES_EXEC", 0x040_0000n],
    ["MMAP_PAGE_ZERO", 0x010_0000n],
    ["PER_SVR4", 0x0400_0001n],
  ])("denies personality %s", (_name, persona) => {
    expect(call(syscalls.personality, [persona])).toBe(EPERM);
  });

  test.each([
    ["i386", 0x4000_0003],
    ["arm", 0x4000_0028],
    ["another 64-bit architecture", nodeArch === "x64" ? AUDIT_ARCH.aarch64 : AUDIT_ARCH.x86_64],
  ])("kills a call through the %s interface", (_name, arch) => {
    expect(runFilter(program, { arch, nr: 39 })).toBe(KILL);
    expect(runFilter(program, { arch, nr: syscalls.ptrace! })).toBe(KILL);
  });
});

describe("seccomp filter on x86_64 only", () => {
  const { auditArch, syscalls, program } = ARCHITECTURES[0]!;
  const call = (nr: number) => runFilter(program, { arch: auditArch, nr });

  test.each(DENIED_ON_X86_64)("denies %s with EPERM", (name) => {
    expect(call(syscalls[name]!)).toBe(EPERM);
  });

  test.each([
    ["getpid", 39],
    ["ptrace", 101],
    ["unshare", 272],
  ])("kills an x32 %s", (_name, nr) => {
    expect(call(0x4000_0000 | nr)).toBe(KILL);
  });
});

describe("seccomp filter on aarch64 only", () => {
  test.each(DENIED_ON_X86_64)("has no %s to deny", (name) => {
    expect(ARCHITECTURES[1]!.syscalls[name]).toBeNull();
  });
});

describe("seccomp policy", () => {
  test("denies exactly the calls this file lists", () => {
    const policy = DENIED_GROUPS.flatMap((group) => group.names);

    expect([...policy].sort()).toEqual([...DENIED, ...DENIED_ON_X86_64].sort());
  });
});

describe("getSeccompFilter", () => {
  test.each(["ia32", "riscv64", "s390x"])("reports no filter for %s", (nodeArch) => {
    const filter = getSeccompFilter(nodeArch);

    expect(filter.active).toBe(false);
    expect(filter.active ? "" : filter.reason).toContain(`no seccomp filter for the ${nodeArch} architecture (only for x64 and arm64)`);
  });

  test("builds the filter of the host by default", () => {
    expect(getSeccompFilter()).toEqual(getSeccompFilter(process.arch));
  });
});

describe("assemble", () => {
  test("rejects a jump to an undefined label", () => {
    expect(() => assemble([{ kind: "jump", test: "eq", value: 1, then: "missing", else: null }])).toThrow(FilterAssemblyError);
  });

  test("rejects a jump of more than 255 instructions", () => {
    const filler = Array.from({ length: 256 }, () => ({ kind: "return", value: 0 }) as const);

    expect(() => assemble([{ kind: "jump", test: "eq", value: 1, then: "end", else: null }, ...filler, { kind: "label", name: "end" }, { kind: "return", value: 0 }])).toThrow(
      "skips 256 instructions",
    );
  });

  test("rejects a label defined twice", () => {
    expect(() => assemble([{ kind: "label", name: "a" }, { kind: "label", name: "a" }])).toThrow("label a is defined twice");
  });
});
