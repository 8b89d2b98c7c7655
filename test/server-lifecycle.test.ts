import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { execa } from "execa";
import { ExecutionStatus, SessionState, createSeatbeltClient } from "../client/src/index.js";
import { unmountWorkspacesBelow } from "../server/src/sandbox/limits/workspace-tmpfs.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";
import { findProcesses, findRunningSurvivors, listHostProcesses, listProcessTree, waitUntil } from "./support/processes.js";

const SERVER_MAIN = fileURLToPath(new URL("../server/dist/main.js", import.meta.url));

/** Starts `node server/dist/main.js` on a free port and resolves with its URL from the start-up log line. */
async function spawnServer(stateDir: string) {
  const child = execa("node", [SERVER_MAIN, "--port", "0", "--state-dir", stateDir], { reject: false, buffer: { stdout: true, stderr: false } });
  const url = await new Promise<string>((resolve, reject) => {
    let pending = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      for (const line of pending.split("\n").slice(0, -1)) {
        const entry = JSON.parse(line) as { msg: string; port?: number };
        if (entry.msg === "server listening") {
          resolve(`http://127.0.0.1:${entry.port}`);
        }
      }
      pending = pending.slice(pending.lastIndexOf("\n") + 1);
    });
    void child.then((result) => reject(new Error(`server exited early with ${result.exitCode}`)));
  });
  return { child, url };
}

describe("server shutdown", () => {
  test.each(["SIGTERM", "SIGINT"] as const)("%s ends executions, processes and workspaces", async (signal) => {
    const stateDir = await mkdtemp(join(tmpdir(), "seatbelt-lifecycle-"));
    await chmod(stateDir, 0o711);
    const { child, url } = await spawnServer(stateDir);
    const client = createSeatbeltClient({ baseUrl: url });
    const sessions = [await client.createSession(), await client.createSession()];
    const marker = signal === "SIGTERM" ? ["sleep", "313.25"] : ["sleep", "313.75"];
    await sessions[0]!.runShell(`${marker.join(" ")} &`);
    const started: Promise<void>[] = [];
    const running = sessions.map((session) => {
      let onStdout: () => void = () => {};
      started.push(new Promise<void>((resolve) => (onStdout = resolve)));
      return session.runPython("import time\nprint('working', flush=True)\ntime.sleep(3600)", { onStdout });
    });
    const queued = sessions[1]!.runShell("echo never");
    // Both outputs must have reached the client before the signal, or a
    // loaded machine could stop the server before the code printed anything.
    await Promise.all(started);
    await waitUntil(async () => (await client.listSessions()).every((session) => session.state === SessionState.BUSY), 5_000);
    const root = listHostProcesses().find((process) => process.pid === child.pid)!;
    const treeBeforeStop = listProcessTree(root);

    child.kill(signal);
    const exit = await child;
    const outcomes = await Promise.all([...running, queued]);

    expect(exit.exitCode).toBe(0);
    // The server, and per session bubblewrap, the sandbox's init, the
    // supervisor and the interpreter at least.
    expect(treeBeforeStop.length).toBeGreaterThanOrEqual(1 + 2 * 4);
    expect(findRunningSurvivors(treeBeforeStop)).toEqual([]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe(ExecutionStatus.SHUTDOWN);
      expect(outcome.result.message).toContain("server is shutting down");
    }
    expect(outcomes.slice(0, 2).map((outcome) => outcome.stdout)).toEqual(["working\n", "working\n"]);
    expect(await findProcesses(marker)).toEqual([]);
    expect(await readdir(stateDir)).toEqual([]);
    await rm(stateDir, { recursive: true, force: true });
  });
});

describe("server crash", () => {
  test("SIGKILL of the server ends its sandboxes", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "seatbelt-lifecycle-"));
    await chmod(stateDir, 0o711);
    const { child, url } = await spawnServer(stateDir);
    try {
      const session = await createSeatbeltClient({ baseUrl: url }).createSession();
      const marker = ["sleep", "319.25"];
      await session.runShell(`${marker.join(" ")} &`);
      // The shell exits before its background child has necessarily run exec,
      // so on a busy machine the sleep can show up a moment later.
      await waitUntil(async () => (await findProcesses(marker)).length === 1, 2000);

      expect(await findProcesses(marker)).toHaveLength(1);
      child.kill("SIGKILL");
      await child;
      await waitUntil(async () => (await findProcesses(marker)).length === 0, 2000);

      expect(await findProcesses(marker)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      await child.catch(() => {});
      // A killed server cannot unmount its workspace tmpfs mounts; the next
      // server on the same state directory would, and this test does instead.
      await unmountWorkspacesBelow(stateDir);
      await rm(stateDir, { recursive: true, force: true });
    }
  });
});

describe("session deletion", () => {
  test("delete ends processes and removes workspace", async () => {
    const server = await startTestServer();
    const client = createSeatbeltClient({ baseUrl: server.url });
    const session = await client.createSession();
    const marker = ["sleep", "317.5"];
    await session.runShell(`${marker.join(" ")} & echo data > file.txt`);

    expect(await findProcesses(marker)).toHaveLength(1);
    expect(await readdir(session.info.workspaceDir)).toContain("file.txt");
    await session.close();

    expect(await findProcesses(marker)).toEqual([]);
    await expect(readdir(session.info.workspaceDir)).rejects.toThrow(/ENOENT/);
    await expect(client.getSession(session.id)).rejects.toSatisfy((error) => ConnectError.from(error).code === Code.NotFound);
    await server.close();
  });
});

describe("missing bubblewrap", () => {
  test("is reported and refuses sessions", async () => {
    const server = await startTestServer({ bubblewrapPath: "/nonexistent/bwrap" });
    const client = createSeatbeltClient({ baseUrl: server.url });

    const info = await client.getServerInfo();
    const bubblewrap = info.backends.find((backend) => backend.name === "bubblewrap");
    const attempt = client.createSession();

    expect(bubblewrap?.available).toBe(false);
    expect(bubblewrap?.reason).toContain("not found in /nonexistent/bwrap");
    await expect(attempt).rejects.toSatisfy((error) => {
      const connectError = ConnectError.from(error);
      return connectError.code === Code.FailedPrecondition && connectError.rawMessage.includes("no sandbox backend works");
    });
    await server.close();
  });
});

describe("port in use", () => {
  test("fails start-up and leaves no files", async ({ server }) => {
    const stateDir = await mkdtemp(join(tmpdir(), "seatbelt-lifecycle-"));
    await chmod(stateDir, 0o711);

    const attempt = startTestServer({ port: server.port, stateDir, warmPoolSize: 1 });

    await expect(attempt).rejects.toMatchObject({ code: "EADDRINUSE" });
    expect(await readdir(stateDir)).toEqual([]);
    await rm(stateDir, { recursive: true, force: true });
  });
});

describe("workspace removal", () => {
  test("deep directory tree is removed", async () => {
    const server = await startTestServer();
    const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();
    // About 10 KB of path, past PATH_MAX, built with directory descriptors.
    const outcome = await session.runPython(
      ["import os", "fd = os.open('.', os.O_RDONLY)", "for _ in range(40):", "    os.mkdir('d' * 250, dir_fd=fd)", "    fd = os.open('d' * 250, os.O_RDONLY, dir_fd=fd)", "print('built')"].join("\n"),
    );

    await session.close();
    const stopped = server.close();

    expect(outcome.stdout).toBe("built\n");
    await expect(stopped).resolves.toBeUndefined();
    await expect(readdir(session.info.workspaceDir)).rejects.toThrow(/ENOENT/);
  });
});

describe("workspace permissions", () => {
  test.skipIf(process.getuid?.() !== 0)("other local users cannot enter workspaces", async () => {
    const server = await startTestServer();
    const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();
    await session.runShell("echo private > note.txt; chmod 755 .; chmod 644 note.txt");

    const stranger = await execa("setpriv", ["--reuid", "4242", "--regid", "4242", "--clear-groups", "cat", join(session.info.workspaceDir, "note.txt")], { reject: false });

    expect(stranger.exitCode).not.toBe(0);
    expect(stranger.stderr).toContain("Permission denied");
    await session.close();
    await server.close();
  });
});
