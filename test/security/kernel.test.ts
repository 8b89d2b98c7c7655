import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { expect } from "../support/fixtures.js";
import { findProcessCgroupDir, limitSupport } from "../support/limits.js";
import { HAS_SECCOMP_FILTER, attack, defineAttacks, describeResults, runAttackScript } from "./support/attacks.js";

/** The sandbox's user id when the server runs as root, else the server's own. */
const SANDBOX_UID = process.getuid?.() === 0 ? 65534 : process.getuid?.();

/** Python that defines mount(source, target, type, flags) through libc, raising OSError on failure. */
const MOUNT = `
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]
def mount(source, target, kind, flags=0):
    if _libc.mount(source.encode(), target.encode(), kind.encode() if kind else None, flags, None) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
def mount_count():
    return len(open("/proc/self/mountinfo").read().splitlines())
`;

/** Python lines that end a script with the uid and effective capabilities after the attack. */
const PRIVILEGES_AFTER = `
status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
RESULTS["afterwards"] = f"uid {os.getuid()}, CapEff {status['CapEff'].strip()}"
`;

/** Session cgroup files that limit the session, read from the host before and after the attack. */
interface CgroupFiles {
  readonly files: string[];
  readonly before: string[];
}

async function readAll(paths: readonly string[]): Promise<string[]> {
  return Promise.all(paths.map((path) => readFile(path, "utf8")));
}

const kernelAttacks = [
  attack({
    name: "mount tmpfs, bind and proc; unshare namespaces",
    expected: "EPERM (without the seccomp filter, ENOSPC for user namespaces), mounts unchanged",
    run: async ({ session }) => {
      const results = await runAttackScript(
        session,
        `${MOUNT}
before = mount_count()
RESULTS = {
    "tmpfs": attempt(lambda: mount("none", "/tmp", "tmpfs")),
    "bind": attempt(lambda: mount("/usr", "/tmp", None, 4096)),
    "proc": attempt(lambda: mount("proc", "/tmp", "proc")),
    "unshare user": attempt(lambda: call_libc("unshare", 0x10000000)),
    "unshare mount": attempt(lambda: call_libc("unshare", 0x00020000)),
}
RESULTS["mounts"] = "unchanged" if mount_count() == before else "changed"
${PRIVILEGES_AFTER}`,
      );
      const shell = await session.runShell("unshare -Ur id -u");
      return `${describeResults(results)}; unshare -Ur: ${shell.stderr.trim()}`;
    },
    verify: (_, __, observed) => {
      const unshareUser = HAS_SECCOMP_FILTER ? "EPERM" : "ENOSPC";
      expect(observed).toContain(`tmpfs: EPERM, bind: EPERM, proc: EPERM, unshare user: ${unshareUser}, unshare mount: EPERM, mounts: unchanged`);
      expect(observed).toContain(`afterwards: uid ${SANDBOX_UID}, CapEff 0000000000000000`);
      expect(observed).toContain("unshare: unshare failed");
    },
  }),
  attack({
    name: "setuid binaries: su, mount, setuid(0)",
    expected: "authentication failure, EINVAL; still the sandbox uid",
    run: async ({ session }) => {
      const shell = await session.runShell(
        "find / -perm -4000 -type f 2>/dev/null | wc -l; su -c 'id -u' root </dev/null 2>&1 | tail -1; mount -t tmpfs none /tmp 2>&1 | head -1; sudo id 2>&1; ping -c 1 127.0.0.1 2>&1",
      );
      const [count, su, mount, sudo, ping] = shell.stdout
        .trim()
        .split("\n")
        .map((line) => line.replace(/^\/bin\/sh: \d+: /, ""));
      const results = await runAttackScript(session, `RESULTS = {"setuid(0)": attempt(lambda: os.setuid(0))}\n${PRIVILEGES_AFTER}`);
      return `${count} setuid files found; su: ${su}; mount: ${mount}; sudo: ${sudo}; ping: ${ping}; ${describeResults(results)}`;
    },
    verify: (_, __, observed) => {
      expect(observed).toContain("su: Authentication failure");
      expect(observed).toContain("/tmp: must be superuser to use mount");
      // EINVAL: uid 0 has no mapping in the sandbox's user namespace.
      expect(observed).toMatch(/setuid\(0\): (EPERM|EINVAL)/);
      expect(observed).toContain(`afterwards: uid ${SANDBOX_UID}, CapEff 0000000000000000`);
    },
  }),
  attack({
    name: "open /dev/mem, /dev/kmsg, raw disks; mknod a disk",
    expected: "ENOENT, EACCES or EPERM, nothing opened",
    run: async ({ session }) => {
      const results = await runAttackScript(
        session,
        `
import glob, stat
PATHS = ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/sda", "/dev/vda", "/dev/nvme0n1", "/dev/core", "/proc/kcore", "/proc/kmsg"]
PATHS += sorted(set(glob.glob("/dev/sd*") + glob.glob("/dev/vd*") + glob.glob("/dev/nvme*")) - set(PATHS))
RESULTS = {path: attempt(lambda: os.close(os.open(path, os.O_RDONLY))) for path in PATHS}
RESULTS["/proc/sysrq-trigger (write)"] = attempt(lambda: os.close(os.open("/proc/sysrq-trigger", os.O_WRONLY)))
RESULTS["mknod block 254:0"] = attempt(lambda: os.mknod("disk", stat.S_IFBLK | 0o600, os.makedev(254, 0)))
`,
      );
      return describeResults(results);
    },
    verify: (_, __, observed) => {
      expect(observed).not.toContain("succeeded");
      expect(observed).toMatch(/mknod block 254:0: (EPERM|EACCES)/);
    },
  }),
  attack<CgroupFiles>({
    name: "raise the session's memory and pids limits, join a parent cgroup",
    expected: "ENOENT or EPERM, host-side values unchanged",
    skipReason: limitSupport.memoryCgroup && limitSupport.pidsCgroup ? undefined : "no memory and pids cgroups on this machine",
    plant: async ({ server, session }) => {
      const pid = server.registry.get(session.id)!.sandboxPid!;
      const memoryDir = (await findProcessCgroupDir(pid, "memory"))!;
      const pidsDir = (await findProcessCgroupDir(pid, "pids"))!;
      const memoryFile = ["memory.limit_in_bytes", "memory.max"].map((name) => join(memoryDir, name)).find((path) => existsSync(path))!;
      const files = [memoryFile, join(pidsDir, "pids.max"), join(dirname(pidsDir), "cgroup.procs")];
      return { files, before: await readAll(files) };
    },
    run: async ({ session }, { files }) => {
      const targets = [...files, ...files.map((path) => `/proc/1/root${path}`), "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max"];
      const results = await runAttackScript(
        session,
        `${MOUNT}
def write(path):
    with open(path, "w") as handle:
        handle.write("max" if "procs" not in path else str(os.getpid()))
outcomes = [attempt(lambda: write(path)) for path in ${JSON.stringify(targets)}]
RESULTS = {"writes": ", ".join(sorted(set(outcomes))), "mount cgroup2": attempt(lambda: mount("none", "/tmp", "cgroup2")), "mount cgroup v1": attempt(lambda: mount("none", "/tmp", "cgroup"))}
`,
      );
      return describeResults(results);
    },
    verify: async (_, { files, before }, observed) => {
      expect(observed).not.toContain("succeeded");
      expect(await readAll(files.slice(0, 2))).toEqual(before.slice(0, 2));
    },
  }),
];

defineAttacks("escape attempts on the kernel", kernelAttacks);
