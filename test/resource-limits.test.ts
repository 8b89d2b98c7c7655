import { spawnSync } from "node:child_process";
import { access, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { Enforcement, ExecutionStatus, Resource } from "../client/src/index.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";
import { findProcessCgroupDir, limitSupport } from "./support/limits.js";
import { rejectionOf } from "./support/connect-errors.js";

const MiB = 1024n * 1024n;

describe("memory limit", () => {
  test.skipIf(!limitSupport.memoryCgroup)("Python memory bomb stops as out of memory", async ({ client }) => {
    const session = await client.createSession({ limits: { memoryBytes: 128n * MiB } });
    await session.runPython("kept = 41");

    const bomb = await session.runPython("data = b'x' * (400 << 20)");
    const after = await session.runPython("print('fresh'); 'kept' in globals()");

    expect(bomb.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(bomb.result.limitExceeded).toBe(Resource.MEMORY);
    expect(bomb.result.message).toContain("out of memory: the session reached its memory limit of 128 MiB");
    expect(bomb.result.interpreterRestarted).toBe(true);
    expect(after.status).toBe(ExecutionStatus.OK);
    expect(after.stdout).toBe("fresh\n");
    expect(after.value).toBe("False");
    await session.close();
  });

  test.skipIf(!limitSupport.memoryCgroup)("shell memory bomb keeps the interpreter", async ({ client }) => {
    const session = await client.createSession({ limits: { memoryBytes: 128n * MiB } });
    await session.runPython("kept = 41");

    const bomb = await session.runShell(["python3", "-c", "data = b'x' * (400 << 20)"]);
    const after = await session.runPython("kept + 1");

    expect(bomb.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(bomb.result.limitExceeded).toBe(Resource.MEMORY);
    expect(bomb.result.message).toContain("so the kernel killed a process of the session");
    expect(bomb.result.signal).toBe(9);
    expect(after.value).toBe("42");
    await session.close();
  });
});

describe("memory held by files", () => {
  test.skipIf(!limitSupport.memoryCgroup)("filling /tmp stops as out of memory", async ({ client }) => {
    // /tmp is a tmpfs, so its files are memory that belongs to no process, and the
    // OOM killer may pick any process of the session, the supervisor too.
    const session = await client.createSession({ limits: { memoryBytes: 128n * MiB, diskBytes: 512n * MiB } });

    const fill = await session.runShell("dd if=/dev/zero of=/tmp/big bs=1M count=200");
    await session.runShell("rm -f /tmp/big");
    const after = await session.runPython("print('alive')");

    expect(fill.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(fill.result.limitExceeded).toBe(Resource.MEMORY);
    expect(fill.result.message).toContain("out of memory: the session reached its memory limit of 128 MiB");
    expect(after.stdout).toBe("alive\n");
    await session.close();
  });
});

describe("disk limit", () => {
  test.skipIf(!limitSupport.workspaceTmpfs)("filling the workspace stops as disk full", async ({ client }) => {
    const session = await client.createSession({ limits: { diskBytes: 8n * MiB, memoryBytes: 256n * MiB } });

    const fill = await session.runShell("dd if=/dev/zero of=big bs=1M count=20");
    const python = await session.runPython("open('more', 'wb').write(b'x' * (1 << 20))");
    const freed = await session.runShell("rm big more && head -c 1000 /dev/zero > small && stat -c %s small");

    expect(fill.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(fill.result.limitExceeded).toBe(Resource.DISK);
    expect(fill.result.message).toBe("disk full: the workspace reached its size limit of 8 MiB");
    expect(fill.stderr).toContain("No space left on device");
    expect(python.result.limitExceeded).toBe(Resource.DISK);
    expect(python.error?.value).toContain("[Errno 28]");
    expect(freed.status).toBe(ExecutionStatus.OK);
    expect(freed.stdout).toBe("1000\n");
    await session.close();
  });

  test.skipIf(!limitSupport.workspaceTmpfs)("/tmp has the workspace's size limit", async ({ client }) => {
    const session = await client.createSession({ limits: { diskBytes: 4n * MiB, memoryBytes: 256n * MiB } });

    const fill = await session.runShell("dd if=/dev/zero of=/tmp/big bs=1M count=10");

    expect(fill.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(fill.result.limitExceeded).toBe(Resource.DISK);
    expect(fill.result.message).toBe("disk full: /tmp reached its size limit of 4 MiB");
    expect(fill.stderr).toContain("No space left on device");
    await session.close();
  });

  test.skipIf(!limitSupport.workspaceTmpfs)("workspace keeps files and size across sandbox restart", async ({ client, server }) => {
    const session = await client.createSession({ limits: { diskBytes: 8n * MiB } });
    await session.runShell("echo kept > note");
    const firstPid = server.registry.get(session.id)!.sandboxPid;

    // The supervisor is pid 2 of the sandbox; killing it ends the sandbox.
    const killed = await session.runShell("kill -KILL 2; sleep 5");
    const after = await session.runShell("cat note; df --output=size -B1M . | tail -1 | tr -d ' '");
    const secondPid = server.registry.get(session.id)!.sandboxPid!;
    const cgroupDir = await findProcessCgroupDir(secondPid, "pids");

    expect(killed.status).toBe(ExecutionStatus.CRASHED);
    expect(after.stdout).toBe("kept\n8\n");
    expect(secondPid).not.toBe(firstPid);
    if (limitSupport.pidsCgroup) {
      expect(cgroupDir).toContain(session.id);
    }
    await session.close();
  });

  test.skipIf(!limitSupport.workspaceTmpfs)("deleting the session unmounts its workspace", async ({ client }) => {
    const session = await client.createSession({ limits: { diskBytes: 8n * MiB } });
    const { workspaceDir } = session.info;
    const mountedBefore = (await readFile("/proc/self/mountinfo", "utf8")).includes(` ${workspaceDir} `);

    await session.close();
    const mountedAfter = (await readFile("/proc/self/mountinfo", "utf8")).includes(` ${workspaceDir} `);

    expect(mountedBefore).toBe(true);
    expect(mountedAfter).toBe(false);
  });
});

describe("file size limit", () => {
  test("shell writing past the limit is stopped", async ({ client }) => {
    const session = await client.createSession({ limits: { fileSizeBytes: MiB } });

    const write = await session.runShell(["dd", "if=/dev/zero", "of=big", "bs=64K", "count=32"]);
    const size = await session.runShell("stat -c %s big");

    expect(write.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(write.result.limitExceeded).toBe(Resource.FILE_SIZE);
    expect(write.result.signal).toBe(25);
    expect(write.result.message).toBe("file too large: a process wrote past the file size limit of 1 MiB");
    expect(size.stdout).toBe("1048576\n");
    await session.close();
  });

  test("Python writing past the limit gets EFBIG", async ({ client }) => {
    const session = await client.createSession({ limits: { fileSizeBytes: MiB } });

    const write = await session.runPython("with open('big', 'wb') as f:\n    f.write(b'x' * (2 << 20))");
    const after = await session.runPython("1 + 1");

    expect(write.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(write.result.limitExceeded).toBe(Resource.FILE_SIZE);
    expect(write.error?.value).toContain("[Errno 27] File too large");
    expect(after.value).toBe("2");
    await session.close();
  });
});

describe("open files limit", () => {
  test("opening past the limit fails with EMFILE", async ({ client }) => {
    const session = await client.createSession({ limits: { openFiles: 64 } });

    const limit = await session.runShell("ulimit -n");
    const open = await session.runPython("files = [open('/dev/null') for _ in range(100)]");
    const after = await session.runPython("len([open('/dev/null') for _ in range(10)])");

    expect(limit.stdout).toBe("64\n");
    expect(open.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(open.result.limitExceeded).toBe(Resource.OPEN_FILES);
    expect(open.result.message).toBe("too many open files: a process reached the limit of 64 open files");
    expect(after.value).toBe("10");
    await session.close();
  });
});

describe("CPU limit", () => {
  test.skipIf(!limitSupport.cpuCgroup)("busy loop is throttled to its share", async ({ client, server }) => {
    const session = await client.createSession({ limits: { cpuMillicores: 100 } });
    const cgroupDir = await findProcessCgroupDir(server.registry.get(session.id)!.sandboxPid!, "cpu");

    const loop = await session.runPython(
      "import time\nstart, cpu = time.monotonic(), time.process_time()\nwhile time.monotonic() - start < 1.0:\n    pass\n(time.process_time() - cpu) / (time.monotonic() - start)",
    );
    const stat = await readFile(`${cgroupDir}/cpu.stat`, "utf8");

    // A tenth of a core allows about 0.1 s of CPU time per second.
    expect(Number(loop.value)).toBeLessThan(0.5);
    expect(Number(/nr_throttled (\d+)/.exec(stat)?.[1])).toBeGreaterThan(0);
    await session.close();
  });
});

describe("limit requests", () => {
  test("value above server maximum rejected", async ({ client }) => {
    const error = await rejectionOf(client.createSession({ limits: { maxProcesses: 1_000_000 } }));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toBe("limits.max_processes is 1000000, above the server's maximum of 4096");
  });

  test("GetSession reports limits and resource use", async ({ client }) => {
    const session = await client.createSession({ limits: { memoryBytes: 256n * MiB, maxProcesses: 64, openFiles: 100 } });
    await session.runShell("head -c 1048576 /dev/zero > one-mib");

    const info = await session.refresh();

    expect(info.limits).toMatchObject({ memoryBytes: 256n * MiB, maxProcesses: 64, openFiles: 100, cpuMillicores: 1000 });
    if (limitSupport.pidsCgroup) {
      // bubblewrap, its init process, the supervisor and the interpreter.
      expect(info.resourceUsage?.processes).toBeGreaterThanOrEqual(4);
    }
    if (limitSupport.memoryCgroup) {
      expect(info.resourceUsage?.memoryBytes).toBeGreaterThan(0n);
    }
    if (limitSupport.workspaceTmpfs) {
      expect(info.resourceUsage?.diskBytes).toBeGreaterThanOrEqual(MiB);
    }
    await session.close();
  });

  test("GetServerInfo says how each limit is enforced", async ({ client }) => {
    const info = await client.getServerInfo();
    const byResource = new Map(info.limits.map((limit) => [limit.resource, limit]));
    const cgroup = [Enforcement.CGROUP_V1, Enforcement.CGROUP_V2];

    expect([...byResource.keys()].sort()).toEqual([Resource.MEMORY, Resource.PROCESSES, Resource.CPU, Resource.DISK, Resource.OPEN_FILES, Resource.FILE_SIZE]);
    expect(byResource.get(Resource.OPEN_FILES)).toMatchObject({ enforcement: Enforcement.RLIMIT, defaultValue: 1024n, maxValue: 65_536n });
    expect(byResource.get(Resource.FILE_SIZE)?.enforcement).toBe(Enforcement.RLIMIT);
    expect(cgroup.includes(byResource.get(Resource.MEMORY)!.enforcement)).toBe(limitSupport.memoryCgroup);
    expect(cgroup.includes(byResource.get(Resource.PROCESSES)!.enforcement)).toBe(limitSupport.pidsCgroup);
    expect(byResource.get(Resource.DISK)?.enforcement).toBe(limitSupport.workspaceTmpfs ? Enforcement.TMPFS : Enforcement.NOT_ENFORCED);
    expect(byResource.get(Resource.MEMORY)?.detail).not.toBe("");
  });
});

describe("session cgroups", () => {
  test.skipIf(!limitSupport.pidsCgroup)("sandbox processes all start in it", async ({ client, server }) => {
    const session = await client.createSession();
    const bubblewrapPid = server.registry.get(session.id)!.sandboxPid!;
    const cgroupDir = (await findProcessCgroupDir(bubblewrapPid, "pids"))!;
    const procs = (await readFile(join(cgroupDir, "cgroup.procs"), "utf8")).trim().split("\n");
    const usage = await session.refresh();

    expect(cgroupDir).toContain(session.id);
    // bubblewrap, its init process, the supervisor and the interpreter.
    expect(procs).toHaveLength(4);
    expect(procs).toContain(String(bubblewrapPid));
    expect(usage.resourceUsage?.processes).toBe(4);
    await session.close();
    await expect(access(cgroupDir)).rejects.toThrow("ENOENT");
  });

  test.skipIf(!limitSupport.pidsCgroup)("the sandbox's cgroup namespace is rooted at the session's cgroup", async ({ client }) => {
    const session = await client.createSession();

    const lines = (await session.runShell("cat /proc/self/cgroup")).stdout.trim().split("\n");

    // A namespace created before the move would show the path from the
    // server's cgroup, naming the server's instance and the session.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => !line.endsWith(":/"))).toEqual([]);
    await session.close();
  });

  test.skipIf(!limitSupport.pidsCgroup)("cgroups of a dead server removed at start", async () => {
    const deadPid = spawnSync("true").pid;
    const parentDir = (await findProcessCgroupDir(process.pid, "pids"))!;
    const staleDir = join(parentDir, `seatbelt-${deadPid}-0123abcd`);
    await mkdir(join(staleDir, "ses_stale"), { recursive: true });

    const second = await startTestServer();
    await second.close();

    await expect(access(staleDir)).rejects.toThrow("ENOENT");
  });
});
