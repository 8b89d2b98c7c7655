import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ExecutionStatus, type SeatbeltSession } from "../client/src/index.js";
import { afterAll } from "vitest";
import { describe, expect, test } from "./support/fixtures.js";
import { findProcesses, waitUntil } from "./support/processes.js";

// Attacks on the sandbox and on the server's frame channel that the current
// version contains. Each test plants evidence on the host (a secret, a file
// that must not change, a listener) and checks it afterwards.

// Set before the file's server starts with the first test, so a server that
// handed its own environment to sandboxes would hand over this value.
const CANARY_NAME = "SEATBELT_ESCAPE_CANARY";
const CANARY_VALUE = `canary-${randomBytes(16).toString("hex")}`;
process.env[CANARY_NAME] = CANARY_VALUE;

const IS_ROOT = process.getuid?.() === 0;

/** Host directories outside the profile that only root can create entries in, where they exist. */
const ROOT_ONLY_SECRET_PARENTS = ["/root", "/var/lib", "/srv"].filter((dir) => existsSync(dir));

/**
 * Python prelude that takes a duplicate of the supervisor's events socket
 * (file descriptor 4) with pidfd_getfd(2), which works because session code
 * runs as the supervisor's user. The code can then write any frame to the
 * server. System call 438 is pidfd_getfd on every Linux architecture.
 */
const STEAL_FD = `
import ctypes, os
_libc = ctypes.CDLL(None, use_errno=True)

def steal_fd(pid, fd):
    pidfd = os.pidfd_open(pid)
    try:
        stolen = _libc.syscall(438, pidfd, fd, 0)
    finally:
        os.close(pidfd)
    if stolen < 0:
        raise OSError(ctypes.get_errno(), "pidfd_getfd failed")
    return stolen
`;

afterAll(() => {
  delete process.env[CANARY_NAME];
});

function createMarker(): string {
  return `seatbelt-escape-${randomBytes(6).toString("hex")}`;
}

/** Quotes a value for /bin/sh. */
function quote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/** Writes a world-readable secret below parentDir, so only the mount plan hides it. */
async function plantSecret(parentDir: string): Promise<{ dir: string; path: string; value: string }> {
  const dir = await mkdtemp(join(parentDir, "seatbelt-escape-"));
  const path = join(dir, "secret.txt");
  const value = `secret-${randomBytes(16).toString("hex")}`;
  await writeFile(path, `${value}\n`, { mode: 0o644 });
  return { dir, path, value };
}

/** Runs shell and Python reads of path, directly and through /proc, and returns everything they printed. */
async function tryToRead(session: SeatbeltSession, path: string): Promise<string> {
  const shell = await session.runShell(
    [`cat ${quote(path)}`, `cat /proc/1/root${quote(path)}`, `cat /proc/self/root${quote(path)}`, `ls -la ${quote(dirname(path))}`].join("; "),
  );
  const python = await session.runPython(
    [
      "import glob",
      `for candidate in [${JSON.stringify(path)}, *glob.glob("/proc/*/root" + ${JSON.stringify(path)})]:`,
      "    try:",
      "        print(open(candidate).read())",
      "    except OSError as error:",
      "        print(candidate, error.strerror)",
    ].join("\n"),
  );
  return [shell.stdout, shell.stderr, python.stdout, python.stderr].join("\n");
}

/** Host directory of the server instance that owns a workspace: <instance>/workspaces/<session>. */
function getInstanceDir(workspaceDir: string): string {
  return dirname(dirname(workspaceDir));
}

describe("host files", () => {
  test("temp directory secret stays unreadable", async ({ session }) => {
    const secret = await plantSecret(tmpdir());

    try {
      const output = await tryToRead(session, secret.path);

      expect(output).not.toContain(secret.value);
    } finally {
      await rm(secret.dir, { recursive: true, force: true });
    }
  });

  test.skipIf(!IS_ROOT).for(ROOT_ONLY_SECRET_PARENTS)("secret under %s stays unreadable", async (parent, { session }) => {
    const secret = await plantSecret(parent);

    try {
      const output = await tryToRead(session, secret.path);

      expect(output).not.toContain(secret.value);
    } finally {
      await rm(secret.dir, { recursive: true, force: true });
    }
  });

  test("writes outside workspace leave host unchanged", async ({ session }) => {
    const instanceDir = getInstanceDir(session.info.workspaceDir);
    const hostSupervisor = join(instanceDir, "runtime", "supervisor.py");
    const supervisorBefore = await readFile(hostSupervisor);
    const marker = createMarker();
    // Each target is a host directory that the sandbox must not write into:
    // the runtime shared by every session, the state directory and the
    // workspace's parent, which contains the other sessions' workspaces.
    const hostTargets = [join(instanceDir, "runtime"), join(instanceDir, "runtime", "seatbelt_runtime"), dirname(session.info.workspaceDir), instanceDir];
    const sandboxTargets = ["/run/seatbelt", "/run/seatbelt/seatbelt_runtime", ...hostTargets];

    const outcome = await session.runShell(
      [
        ...sandboxTargets.map((dir) => `echo pwned > ${quote(join(dir, marker))}`),
        "echo 'raise SystemExit(1)' >> /run/seatbelt/supervisor.py",
        "chmod 777 /run/seatbelt/supervisor.py",
        "true",
      ].join("; "),
    );

    expect(outcome.status).toBe(ExecutionStatus.OK);
    for (const dir of hostTargets) {
      expect(existsSync(join(dir, marker)), `marker in ${dir}`).toBe(false);
    }
    expect(await readFile(hostSupervisor)).toEqual(supervisorBefore);
  });

  test("workspace symlinks survive session deletion", async ({ client }) => {
    const hostDir = await mkdtemp(join(tmpdir(), "seatbelt-escape-"));
    const hostFile = join(hostDir, "victim.txt");
    const hostInner = join(hostDir, "tree", "inner.txt");
    await writeFile(hostFile, "keep\n");
    await mkdir(dirname(hostInner));
    await writeFile(hostInner, "keep\n");
    const session = await client.createSession();

    try {
      const planted = await session.runShell(
        [
          `ln -s ${quote(hostFile)} link-to-file`,
          `ln -s ${quote(join(hostDir, "tree"))} link-to-tree`,
          `ln -s ${quote(hostDir)} link-to-parent`,
          "mkdir nested",
          `ln -s ${quote(hostDir)} nested/link-to-parent`,
          "ln -s loop-a loop-b",
          "ln -s loop-b loop-a",
        ].join(" && "),
      );
      await session.close();

      expect(planted.status).toBe(ExecutionStatus.OK);
      expect(existsSync(session.info.workspaceDir)).toBe(false);
      expect(await readFile(hostFile, "utf8")).toBe("keep\n");
      expect(await readFile(hostInner, "utf8")).toBe("keep\n");
    } finally {
      await rm(hostDir, { recursive: true, force: true });
    }
  });

  test("hard links to system files fail", async ({ session }) => {
    const outcome = await session.runShell("ln /etc/hostname etc-link; ln /run/seatbelt/supervisor.py runtime-link; ls");

    expect(outcome.stderr).toContain("etc-link' => '/etc/hostname': Invalid cross-device link");
    expect(outcome.stderr).toContain("runtime-link' => '/run/seatbelt/supervisor.py': Invalid cross-device link");
    expect(outcome.stdout).toBe("");
  });
});

describe("other sessions and the server", () => {
  test("other session's workspace is unreachable", async ({ session, client }) => {
    const other = await client.createSession();
    const secret = `secret-${randomBytes(16).toString("hex")}`;

    try {
      await other.runShell(`echo ${secret} > secret.txt`);
      const output = await tryToRead(session, join(other.info.workspaceDir, "secret.txt"));
      const write = await session.runShell(`echo pwned > ${quote(join(other.info.workspaceDir, "planted.txt"))}`);

      expect(output).not.toContain(secret);
      expect(write.status).toBe(ExecutionStatus.ERROR);
      expect(existsSync(join(other.info.workspaceDir, "planted.txt"))).toBe(false);
    } finally {
      await other.close();
    }
  });

  test("kill -1 stays inside sandbox", async ({ session, client }) => {
    const other = await client.createSession();

    try {
      const attack = await session.runShell("kill -9 -1; sleep 5");
      const otherAfter = await other.runShell("echo alive");
      const sessionAfter = await session.runShell("echo replaced");

      expect(attack.status).toBe(ExecutionStatus.CRASHED);
      expect(otherAfter.stdout).toBe("alive\n");
      expect(sessionAfter.stdout).toBe("replaced\n");
    } finally {
      await other.close();
    }
  });

  test("server process is invisible", async ({ session }) => {
    const pid = process.pid;

    const shell = await session.runShell(`cat /proc/${pid}/environ /proc/${pid}/cmdline; kill -0 ${pid}; ls /proc/${pid}/fd`);
    const python = await session.runPython(`import os\ntry:\n    os.pidfd_open(${pid})\n    print("opened")\nexcept OSError as error:\n    print(error.strerror)`);

    const output = shell.stdout + shell.stderr;
    expect(output).not.toContain(CANARY_VALUE);
    expect(output).not.toContain("vitest");
    expect(shell.status).toBe(ExecutionStatus.ERROR);
    expect(python.stdout).toBe("No such process\n");
  });

  test("background processes end with session", async ({ client }) => {
    const session = await client.createSession();
    const marker = ["sleep", `300.${randomBytes(3).readUIntBE(0, 3)}`];
    const command = marker.join(" ");

    await session.runShell(`for i in $(seq 50); do ${command} & done; (setsid nohup ${command} >/dev/null 2>&1 &); (trap '' TERM HUP; exec ${command}) &`);
    // The detached copies reach their final command line a moment after
    // the shell has exited.
    await waitUntil(async () => (await findProcesses(marker)).length === 52, 2000);
    const before = await findProcesses(marker);
    await session.close();
    const after = await findProcesses(marker);

    expect(before).toHaveLength(52);
    expect(after).toEqual([]);
  });
});

describe("network", () => {
  test("host loopback listeners are unreachable", async ({ session }) => {
    let connections = 0;
    const tcpServer = createServer(() => connections++);
    const abstractServer = createServer(() => connections++);
    const abstractName = `\0${createMarker()}`;
    await new Promise<void>((resolve) => tcpServer.listen(0, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => abstractServer.listen(abstractName, resolve));
    const { port } = tcpServer.address() as AddressInfo;

    try {
      const outcome = await session.runPython(
        [
          "import socket",
          `targets = [(socket.AF_INET, ("127.0.0.1", ${port})), (socket.AF_UNIX, ${JSON.stringify(abstractName)})]`,
          "for family, address in targets:",
          "    sock = socket.socket(family)",
          "    sock.settimeout(3)",
          "    try:",
          "        sock.connect(address)",
          '        print("connected")',
          "    except OSError as error:",
          "        print(type(error).__name__)",
        ].join("\n"),
      );

      expect(outcome.stdout).toBe("ConnectionRefusedError\nConnectionRefusedError\n");
      expect(connections).toBe(0);
    } finally {
      await Promise.all([tcpServer, abstractServer].map((server) => new Promise((resolve) => server.close(resolve))));
    }
  });
});

describe("privileges", () => {
  test("nested user namespace is rejected", async ({ session }) => {
    const outcome = await session.runShell("unshare -Ur id -u");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).toBe("");
    expect(outcome.stderr).toContain("unshare failed");
  });

  test.for([
    ["mount", "mount -t tmpfs none /tmp"],
    ["su", "su -c 'id -u' root </dev/null"],
    ["setuid(0)", "python3 -c 'import os; os.setuid(0); print(os.getuid())'"],
  ])("%s gains no privileges", async ([, command], { session }) => {
    const outcome = await session.runShell(command!);

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).not.toMatch(/^0$/m);
  });

  test("kernel devices are unreadable", async ({ session }) => {
    const outcome = await session.runPython(
      [
        "import json",
        'paths = ["/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/vda", "/dev/sda", "/dev/nvme0n1", "/proc/kcore", "/proc/kmsg", "/proc/sysrq-trigger"]',
        "opened = []",
        "for path in paths:",
        "    try:",
        "        open(path, 'rb').close()",
        "        opened.append(path)",
        "    except OSError:",
        "        pass",
        "print(json.dumps(opened))",
      ].join("\n"),
    );

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(JSON.parse(outcome.stdout)).toEqual([]);
  });

  test("TIOCSTI cannot inject input", async ({ session }) => {
    const outcome = await session.runPython(
      [
        "import fcntl, json, os, termios",
        "injected = []",
        'for path in ["/dev/tty", "/proc/self/fd/0", "/proc/self/fd/1", "/proc/self/fd/2", "/proc/1/fd/0", "/proc/1/fd/1"]:',
        "    try:",
        "        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)",
        "        fcntl.ioctl(fd, termios.TIOCSTI, b'x')",
        "        injected.append(path)",
        "    except OSError:",
        "        pass",
        "print(json.dumps(injected))",
      ].join("\n"),
    );

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(JSON.parse(outcome.stdout)).toEqual([]);
  });
});

describe("frame channel", () => {
  // The supervisor is not dumpable, so the session's code, which runs as the
  // same user, cannot take the descriptors of its channel to the server.
  test("supervisor descriptors are out of reach", async ({ session }) => {
    const outcome = await session.runPython(
      [
        STEAL_FD,
        "import errno",
        "results = []",
        "for fd in (3, 4):",
        "    try:",
        "        steal_fd(os.getppid(), fd)",
        "        results.append('taken')",
        "    except OSError as error:",
        "        results.append(errno.errorcode[error.errno])",
        "try:",
        "    os.open(f'/proc/{os.getppid()}/fd/4', os.O_WRONLY)",
        "    results.append('opened')",
        "except OSError as error:",
        "    results.append(errno.errorcode[error.errno])",
        "print(' '.join(results))",
      ].join("\n"),
    );

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(outcome.stdout).toBe("EPERM EPERM EACCES\n");
  });
});
