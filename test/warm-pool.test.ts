import { readFile, readdir } from "node:fs/promises";
import { dirname } from "node:path";
import { createSeatbeltClient } from "../client/src/index.js";
import { ExecutionStatus } from "../client/src/gen/seatbelt/v1/execution_pb.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";

describe("warm pool", () => {
  test("pooled sessions start fresh and apart", async ({ server, client }) => {
    await server.warmPool!.waitUntilFull();
    const first = await client.createSession();
    const second = await client.createSession();
    try {
      expect(first.info.fromWarmPool).toBe(true);
      expect(second.info.fromWarmPool).toBe(true);
      expect(first.info.workspaceDir).not.toBe(second.info.workspaceDir);

      await first.runPython("x = 41\nopen('mine.txt', 'w').write('first')");
      const state = await second.runPython("'x' in globals()");
      expect(state.value).toBe("False");
      const files = await second.runShell("ls -A");
      expect(files.stdout).toBe("");
      const own = await first.runPython("x + 1");
      expect(own.value).toBe("42");
    } finally {
      await first.close();
      await second.close();
    }
  });

  test("pool refills after a take", async ({ server, client }) => {
    await server.warmPool!.waitUntilFull();
    const session = await client.createSession();
    try {
      expect(server.warmPool!.readyCount).toBeLessThan(server.config.warmPoolSize);
      await server.warmPool!.waitUntilFull();
      expect(server.warmPool!.readyCount).toBe(server.config.warmPoolSize);
    } finally {
      await session.close();
    }
  });

  test("requests with settings get a new sandbox", async ({ server, client }) => {
    await server.warmPool!.waitUntilFull();
    const session = await client.createSession({ env: { GREETING: "hello" } });
    try {
      expect(session.info.fromWarmPool).toBe(false);
      expect(server.warmPool!.readyCount).toBe(server.config.warmPoolSize);
      const outcome = await session.runShell("echo $GREETING");
      expect(outcome.stdout).toBe("hello\n");
    } finally {
      await session.close();
    }
  });

  test("pooled sessions get the default limits", async ({ server, client }) => {
    await server.warmPool!.waitUntilFull();
    const pooled = await client.createSession();
    const fresh = await client.createSession({ env: { NAME: "value" } });
    try {
      expect(pooled.info.fromWarmPool).toBe(true);
      expect(fresh.info.fromWarmPool).toBe(false);
      expect(pooled.info.limits).toEqual(fresh.info.limits);
      const cgroups = await pooled.runShell("cat /proc/self/cgroup");
      const freshCgroups = await fresh.runShell("cat /proc/self/cgroup");
      expect(cgroups.stdout.replaceAll(pooled.id, "SESSION")).toBe(freshCgroups.stdout.replaceAll(fresh.id, "SESSION"));
    } finally {
      await pooled.close();
      await fresh.close();
    }
  });

  test("deleting a pooled session removes its workspace", async ({ server, client }) => {
    await server.warmPool!.waitUntilFull();
    const session = await client.createSession();
    const workspaces = dirname(session.info.workspaceDir);
    await session.close();
    expect(await readdir(workspaces)).not.toContain(session.id);
  });

  test("size 0 turns the pool off", async () => {
    const server = await startTestServer({ warmPoolSize: 0 });
    try {
      const client = createSeatbeltClient({ baseUrl: server.url });
      const session = await client.createSession();
      expect(server.warmPool).toBeUndefined();
      expect(session.info.fromWarmPool).toBe(false);
      const outcome = await session.runPython("1 + 1");
      expect(outcome.status).toBe(ExecutionStatus.OK);
      expect(outcome.value).toBe("2");
      await session.close();
    } finally {
      await server.close();
    }
  });

  test("closing the server removes pooled sandboxes", async () => {
    const server = await startTestServer({ warmPoolSize: 2 });
    await server.warmPool!.waitUntilFull();
    const before = await listChildBubblewrapPids();
    await server.close();
    const after = await listChildBubblewrapPids();
    expect(server.warmPool!.readyCount).toBe(0);
    expect(before.length - after.length).toBe(2);
  });
});

/** Returns the pids of bubblewrap processes that this test process started; the server runs in it. */
async function listChildBubblewrapPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir("/proc")) {
    const stat = /^\d+$/.test(name) ? await readFile(`/proc/${name}/stat`, "utf8").catch(() => "") : "";
    const commandEnd = stat.lastIndexOf(")");
    const command = stat.slice(stat.indexOf("(") + 1, commandEnd);
    const [state, parent] = stat.slice(commandEnd + 2).split(" ");
    if (command === "bwrap" && state !== "Z" && Number(parent) === process.pid) {
      pids.push(Number(name));
    }
  }
  return pids;
}
