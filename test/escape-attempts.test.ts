import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ExecutionStatus } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { findProcesses, waitUntil } from "./support/processes.js";
import { quote } from "./security/support/attacks.js";

// Attacks on the server's frame channel, on session deletion and on
// processes that the escape suite in test/security/ does not tabulate. Each
// test plants evidence on the host and checks it afterwards.

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

describe("host files", () => {
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

});

describe("other sessions and the server", () => {
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

describe("privileges", () => {
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
