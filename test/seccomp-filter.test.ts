import { ExecutionStatus, type SeatbeltSession } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

// The seccomp filter seen from inside a real sandbox. System call numbers
// are written out here rather than taken from the server's tables, so a
// wrong table entry fails these tests. Where it is cheap, the arguments are
// ones that the kernel would accept, or fail with another errno than
// EPERM, if the filter did not deny the call.

const ARCH = process.arch;
const HAS_FILTER = ARCH === "x64" || ARCH === "arm64";

/** Python prelude: call(nr, *args) makes a raw system call and returns its result and errno name. */
const RAW_SYSCALL = `
import ctypes, errno, os
_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

def call(nr, *args):
    ctypes.set_errno(0)
    result = _libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(arg) for arg in args])
    return result, errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
`;

interface DeniedCall {
  readonly name: string;
  readonly x64: number | null;
  readonly arm64: number | null;
  /** Python expression of the arguments. */
  readonly args: string;
}

const DENIED_CALLS: readonly DeniedCall[] = [
  // PTRACE_ATTACH to bubblewrap's init process, which succeeds without the filter.
  { name: "ptrace", x64: 101, arm64: 117, args: "16, 1, 0, 0" },
  // Reading and writing no bytes of the process's own memory succeeds without the filter.
  { name: "process_vm_readv", x64: 310, arm64: 270, args: "os.getpid(), 0, 0, 0, 0, 0" },
  { name: "process_vm_writev", x64: 311, arm64: 271, args: "os.getpid(), 0, 0, 0, 0, 0" },
  { name: "process_madvise", x64: 440, arm64: 440, args: "-1, 0, 0, 0, 0" },
  { name: "pidfd_getfd", x64: 438, arm64: 438, args: "-1, 0, 0" },
  { name: "kcmp", x64: 312, arm64: 272, args: "os.getpid(), os.getpid(), 0, 1, 1" },
  { name: "mount", x64: 165, arm64: 40, args: "0, 0, 0, 0, 0" },
  { name: "umount2", x64: 166, arm64: 39, args: "0, 0" },
  { name: "pivot_root", x64: 155, arm64: 41, args: "0, 0" },
  { name: "chroot", x64: 161, arm64: 51, args: "0" },
  { name: "move_mount", x64: 429, arm64: 429, args: "-1, 0, -1, 0, 0" },
  { name: "open_tree", x64: 428, arm64: 428, args: "-1, 0, 0" },
  { name: "open_tree_attr", x64: 467, arm64: 467, args: "-1, 0, 0, 0, 0" },
  { name: "fsopen", x64: 430, arm64: 430, args: "0, 0" },
  { name: "fsconfig", x64: 431, arm64: 431, args: "-1, 0, 0, 0, 0" },
  { name: "fsmount", x64: 432, arm64: 432, args: "-1, 0, 0" },
  { name: "fspick", x64: 433, arm64: 433, args: "-1, 0, 0" },
  { name: "mount_setattr", x64: 442, arm64: 442, args: "-1, 0, 0, 0, 0" },
  // unshare with no flags succeeds without the filter.
  { name: "unshare", x64: 272, arm64: 97, args: "0" },
  { name: "setns", x64: 308, arm64: 268, args: "-1, 0" },
  // KEYCTL_GET_KEYRING_ID of the session keyring, which succeeds without the filter.
  { name: "keyctl", x64: 250, arm64: 219, args: "0, -3, 0" },
  { name: "add_key", x64: 248, arm64: 217, args: "0, 0, 0, 0, -3" },
  { name: "request_key", x64: 249, arm64: 218, args: "0, 0, 0, 0" },
  { name: "bpf", x64: 321, arm64: 280, args: "0, 0, 0" },
  { name: "perf_event_open", x64: 298, arm64: 241, args: "0, 0, -1, -1, 0" },
  // UFFD_USER_MODE_ONLY, which an unprivileged process may use without the filter.
  { name: "userfaultfd", x64: 323, arm64: 282, args: "1" },
  { name: "io_uring_setup", x64: 425, arm64: 425, args: "1, 0" },
  { name: "io_uring_enter", x64: 426, arm64: 426, args: "-1, 0, 0, 0, 0, 0" },
  { name: "io_uring_register", x64: 427, arm64: 427, args: "-1, 0, 0, 0" },
  { name: "open_by_handle_at", x64: 304, arm64: 265, args: "-1, 0, 0" },
  { name: "kexec_load", x64: 246, arm64: 104, args: "0, 0, 0, 0" },
  { name: "kexec_file_load", x64: 320, arm64: 294, args: "-1, -1, 0, 0, 0" },
  { name: "init_module", x64: 175, arm64: 105, args: "0, 0, 0" },
  { name: "finit_module", x64: 313, arm64: 273, args: "-1, 0, 0" },
  { name: "delete_module", x64: 176, arm64: 106, args: "0, 0" },
  { name: "swapon", x64: 167, arm64: 224, args: "0, 0" },
  { name: "swapoff", x64: 168, arm64: 225, args: "0" },
  // An invalid magic number, so the call could not reboot anything in any case.
  { name: "reboot", x64: 169, arm64: 142, args: "0, 0, 0, 0" },
  { name: "syslog", x64: 103, arm64: 116, args: "10, 0, 0" },
  { name: "acct", x64: 163, arm64: 89, args: "0" },
  { name: "quotactl", x64: 179, arm64: 60, args: "0, 0, 0, 0" },
  { name: "quotactl_fd", x64: 443, arm64: 443, args: "-1, 0, 0, 0" },
  { name: "lookup_dcookie", x64: 212, arm64: 18, args: "0, 0, 0" },
  { name: "vhangup", x64: 153, arm64: 58, args: "" },
  { name: "settimeofday", x64: 164, arm64: 170, args: "0, 0" },
  { name: "clock_settime", x64: 227, arm64: 112, args: "0, 0" },
  { name: "clock_adjtime", x64: 305, arm64: 266, args: "0, 0" },
  { name: "adjtimex", x64: 159, arm64: 171, args: "0" },
  // iopl(0) and reading an empty local descriptor table succeed without the filter.
  { name: "iopl", x64: 172, arm64: null, args: "0" },
  { name: "ioperm", x64: 173, arm64: null, args: "0, 0, 0" },
  { name: "modify_ldt", x64: 154, arm64: null, args: "0, 0, 0" },
  { name: "uselib", x64: 134, arm64: null, args: "0" },
];

/** Picks the host's number of a system call; null on an architecture without the filter. */
function syscallNumber(row: { x64: number | null; arm64: number | null }): number | null {
  if (ARCH === "x64") {
    return row.x64;
  }
  if (ARCH === "arm64") {
    return row.arm64;
  }
  return null;
}

/** Runs Python in the session, which must finish without an error, and returns its stdout. */
async function runPythonOk(session: SeatbeltSession, code: string): Promise<string> {
  const outcome = await session.runPython(code);

  expect(outcome.stderr).toBe("");
  expect(outcome.status).toBe(ExecutionStatus.OK);
  return outcome.stdout;
}

const CLONE_NAMESPACE_FLAGS = [
  ["CLONE_NEWNS", 0x0002_0000],
  ["CLONE_NEWCGROUP", 0x0200_0000],
  ["CLONE_NEWUTS", 0x0400_0000],
  ["CLONE_NEWIPC", 0x0800_0000],
  ["CLONE_NEWUSER", 0x1000_0000],
  ["CLONE_NEWPID", 0x2000_0000],
  ["CLONE_NEWNET", 0x4000_0000],
] as const;

describe.skipIf(!HAS_FILTER)("seccomp filter denials", () => {
  test.for(DENIED_CALLS.filter((row) => syscallNumber(row) !== null))("$name fails with EPERM", async (row, { session }) => {
    const stdout = await runPythonOk(session, `${RAW_SYSCALL}\nprint(*call(${syscallNumber(row)}, ${row.args}))`);

    expect(stdout).toBe("-1 EPERM\n");
  });

  test.for(CLONE_NAMESPACE_FLAGS)("clone with %s fails with EPERM", async ([, flag], { session }) => {
    const clone = syscallNumber({ x64: 56, arm64: 220 });
    // A child that the filter let through would return 0 and leave at once.
    const code = `${RAW_SYSCALL}\nresult, error = call(${clone}, ${flag} | 17, 0, 0, 0, 0)\nif result == 0:\n    os._exit(0)\nprint(result, error)`;

    const stdout = await runPythonOk(session, code);

    expect(stdout).toBe("-1 EPERM\n");
  });

  test("clone3 fails with ENOSYS", async ({ session }) => {
    const stdout = await runPythonOk(session, `${RAW_SYSCALL}\nprint(*call(435, 0, 0))`);

    expect(stdout).toBe("-1 ENOSYS\n");
  });

  test("os.unshare of a user namespace fails with EPERM", async ({ session }) => {
    // os.unshare exists from Python 3.12; older ones go through glibc's unshare().
    const code = [
      RAW_SYSCALL,
      "try:",
      "    if hasattr(os, 'unshare'):",
      "        os.unshare(os.CLONE_NEWUSER)",
      "    elif _libc.unshare(0x10000000) != 0:",
      "        raise OSError(ctypes.get_errno(), 'unshare failed')",
      "    print('unshared')",
      "except OSError as error:",
      "    print(errno.errorcode[error.errno])",
    ].join("\n");

    expect(await runPythonOk(session, code)).toBe("EPERM\n");
  });

  test("unshare -Ur from the shell fails", async ({ session }) => {
    const outcome = await session.runShell("unshare -Ur id -u");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).toBe("");
    expect(outcome.stderr).toContain("Operation not permitted");
  });

  test.for([
    ["TIOCSTI", "0x5412"],
    ["TIOCLINUX", "0x541c"],
    ["TIOCSETD", "0x5423"],
    ["TIOCSTI with high bits set", "0x7fffffff00005412"],
  ])("ioctl %s on a terminal fails with EPERM", async ([, request], { session }) => {
    const ioctl = syscallNumber({ x64: 16, arm64: 29 });
    const code = [
      RAW_SYSCALL,
      "primary, secondary = os.openpty()",
      "byte = ctypes.c_char(b'x')",
      `print(*call(${ioctl}, secondary, ${request}, ctypes.addressof(byte)))`,
    ].join("\n");

    expect(await runPythonOk(session, code)).toBe("-1 EPERM\n");
  });

  test("other terminal ioctls still work", async ({ session }) => {
    const code = ["import os, termios, tty", "primary, secondary = os.openpty()", "tty.setraw(secondary)", "print(termios.tcgetattr(secondary)[3] & termios.ECHO)"].join("\n");

    expect(await runPythonOk(session, code)).toBe("0\n");
  });

  test("personality that disables address randomization fails with EPERM", async ({ session }) => {
    const personality = syscallNumber({ x64: 135, arm64: 92 });
    // 0xffffffff only reads the persona, which is PER_LINUX (0).
    const code = `${RAW_SYSCALL}\nprint(*call(${personality}, 0x0040000))\nprint(*call(${personality}, 0xffffffff))`;

    expect(await runPythonOk(session, code)).toBe("-1 EPERM\n0 0\n");
  });
});

describe.skipIf(!HAS_FILTER)("seccomp filter on other interfaces", () => {
  test("Python and shell run in filter mode", async ({ session }) => {
    const python = await runPythonOk(session, "print([line for line in open('/proc/self/status') if line.startswith('Seccomp:')][0], end='')");
    const shell = await session.runShell("grep '^Seccomp:' /proc/self/status");

    expect(python).toBe("Seccomp:\t2\n");
    expect(shell.stdout).toBe("Seccomp:\t2\n");
  });

  test.skipIf(ARCH !== "x64")("an x32 system call kills the process", async ({ session }) => {
    // getpid is 39 in the x32 table too, with the x32 bit set.
    const code = ["import subprocess, sys", "child = subprocess.run([sys.executable, '-c', 'import ctypes; ctypes.CDLL(None).syscall(0x40000000 | 39)'])", "print(child.returncode)"].join("\n");

    expect(await runPythonOk(session, code)).toBe("-31\n");
  });

  test.skipIf(ARCH !== "x64")("an i386 system call through int 0x80 kills the process", async ({ session }) => {
    // mov eax, 20 (getpid in the i386 table); int 0x80; ret
    const child = [
      "import ctypes, mmap",
      "page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)",
      "page.write(bytes([0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xc3]))",
      "print(ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(page)))())",
    ].join("\n");
    const code = ["import subprocess, sys", `child = subprocess.run([sys.executable, '-c', ${JSON.stringify(child)}], capture_output=True, text=True)`, "print(child.returncode, repr(child.stdout))"].join("\n");

    expect(await runPythonOk(session, code)).toBe("-31 ''\n");
  });
});

describe("ordinary work under the seccomp filter", () => {
  test("threads run", async ({ session }) => {
    const code = [
      "import threading",
      "from concurrent.futures import ThreadPoolExecutor",
      "results = []",
      "threads = [threading.Thread(target=results.append, args=(n,)) for n in range(8)]",
      "for thread in threads: thread.start()",
      "for thread in threads: thread.join()",
      "with ThreadPoolExecutor(4) as pool:",
      "    squares = list(pool.map(lambda n: n * n, range(5)))",
      "print(sorted(results), squares)",
    ].join("\n");

    expect(await runPythonOk(session, code)).toBe("[0, 1, 2, 3, 4, 5, 6, 7] [0, 1, 4, 9, 16]\n");
  });

  test("subprocess, posix_spawn and os.fork start children", async ({ session }) => {
    const code = [
      "import os, subprocess",
      "print(subprocess.run(['echo', 'run'], capture_output=True, text=True).stdout, end='')",
      "pid = os.posix_spawn('/bin/sh', ['sh', '-c', 'exit 3'], {})",
      "print('spawn', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
      "pid = os.fork()",
      "if pid == 0:",
      "    os._exit(5)",
      "print('fork', os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))",
    ].join("\n");

    expect(await runPythonOk(session, code)).toBe("run\nspawn 3\nfork 5\n");
  });

  test("multiprocessing pool maps work", async ({ session }) => {
    const code = ["import multiprocessing", "with multiprocessing.Pool(2) as pool:", "    print(pool.map(abs, [-1, -2, 3]))"].join("\n");

    expect(await runPythonOk(session, code)).toBe("[1, 2, 3]\n");
  });

  test("numpy imports and computes", async ({ session }) => {
    expect(await runPythonOk(session, "import numpy as np\nprint(np.arange(10).sum())")).toBe("45\n");
  });

  test("shell pipelines run", async ({ session }) => {
    const outcome = await session.runShell("seq 1 100 | grep 7 | sort -r | head -n 2 | tr '\\n' ' '; (sleep 0.01 & wait); echo done");

    expect(outcome.stderr).toBe("");
    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.stdout).toBe("97 87 done\n");
  });
});
