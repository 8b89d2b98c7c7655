import { access } from "node:fs/promises";
import { Code } from "@connectrpc/connect";
import { ExecutionStatus, SessionState, createSeatbeltClient } from "../client/src/index.js";
import type { ServerConfigInput } from "../server/src/config.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";
import { waitUntil } from "./support/processes.js";
import { rejectionOf } from "./support/connect-errors.js";


/** Runs body with a server of its own configuration, and stops that server afterwards. */
async function withServer(config: ServerConfigInput, body: (server: SeatbeltServer) => Promise<void>): Promise<void> {
  const server = await startTestServer(config);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

describe("session limits", () => {
  test("session beyond maxSessions is ResourceExhausted", async () => {
    await withServer({ maxSessions: 2 }, async (server) => {
      const client = createSeatbeltClient({ baseUrl: server.url });
      await client.createSession();
      const second = await client.createSession();

      const error = await rejectionOf(client.createSession());
      await second.close();
      const replacement = await client.createSession();

      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toContain("maximum of 2 sessions (maxSessions)");
      expect(replacement.info.state).toBe(SessionState.IDLE);
    });
  });

  test("execution beyond maxQueuedExecutions is ResourceExhausted", async () => {
    await withServer({ maxQueuedExecutions: 1 }, async (server) => {
      const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();
      const running = session.runPython("import time\ntime.sleep(0.5)");
      const queued = session.runPython("print('queued')");
      await waitUntil(async () => (await session.refresh()).queuedExecutions === 1, 5_000);

      const error = await rejectionOf(session.runPython("print('refused')"));

      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toContain("already has 1 executions waiting, the maximum (maxQueuedExecutions)");
      expect((await running).status).toBe(ExecutionStatus.OK);
      expect((await queued).stdout).toBe("queued\n");
    });
  });

  test("idle session is deleted with its workspace", async () => {
    await withServer({ sessionIdleTimeoutMs: 300 }, async (server) => {
      const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();
      const workspace = session.info.workspaceDir;

      await waitUntil(async () => !(await exists(workspace)), 10_000);
      const error = await rejectionOf(session.refresh());

      expect(error.code).toBe(Code.NotFound);
      expect(await exists(workspace)).toBe(false);
    });
  });

  test("running execution keeps a session from idling", async () => {
    await withServer({ sessionIdleTimeoutMs: 300 }, async (server) => {
      const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();

      const outcome = await session.runPython("import time\ntime.sleep(1)\nprint('finished')");

      expect(outcome.stdout).toBe("finished\n");
    });
  });

  test("session past lifetime is deleted", async () => {
    await withServer({ sessionMaxLifetimeMs: 1_500 }, async (server) => {
      const session = await createSeatbeltClient({ baseUrl: server.url }).createSession();

      const outcome = await session.runPython("import time\nprint('started', flush=True)\ntime.sleep(60)");

      expect(outcome.status).toBe(ExecutionStatus.CANCELLED);
      expect(outcome.stdout).toBe("started\n");
      expect(outcome.result.message).toContain("maximum lifetime");
      expect(session.info.expiresAt!.seconds - session.info.createdAt!.seconds).toBeLessThanOrEqual(2n);
    });
  });
});

describe("RestartSession", () => {
  test("restart drops variables, keeps files", async ({ session }) => {
    await session.runPython("x = 1\nopen('kept.txt', 'w').write('yes')");

    const restarted = await session.restart();
    const after = await session.runPython("print('x' in globals(), open('kept.txt').read())");

    expect(restarted.state).toBe(SessionState.IDLE);
    expect(restarted.sessionRestarts).toBe(1);
    expect(restarted.interpreterRestarts).toBe(1);
    expect(after.stdout).toBe("False yes\n");
  });

  test("clear_workspace empties the workspace", async ({ session }) => {
    await session.runShell("mkdir -p sub && echo data > sub/file.txt && echo top > .hidden");

    await session.restart(true);
    const listing = await session.runShell("ls -A | wc -l; pwd");

    expect(listing.stdout).toBe(`0\n${session.info.workspaceDir}\n`);
  });

  test("restart cancels the running execution", async ({ session }) => {
    const running = session.runPython("import time\nprint('busy', flush=True)\ntime.sleep(60)");
    await waitUntil(async () => (await session.refresh()).state === SessionState.BUSY, 5_000);

    await session.restart();
    const outcome = await running;

    expect(outcome.status).toBe(ExecutionStatus.CANCELLED);
    expect(outcome.result.message).toContain("session was restarted");
  });

  test("second restart during a restart is FailedPrecondition", async ({ session, server }) => {
    const first = session.restart();
    const error = await rejectionOf(session.restart());
    await first;
    const after = await session.runShell("echo ok");

    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("is starting a sandbox; retry once it is idle");
    expect(after.stdout).toBe("ok\n");
    expect(server.registry.get(session.id)?.sessionRestarts).toBe(1);
  });

  test("restart of an unknown session is NotFound", async ({ client }) => {
    const error = await rejectionOf(client.sessions.restartSession({ sessionId: "ses_unknown" }));

    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toContain("not found");
  });
});

describe("request size", () => {
  test("message over the read limit is refused before validation", async ({ server }) => {
    const body = JSON.stringify({ env: { BIG: "x".repeat(20 * 1024 * 1024) } });

    const response = await fetch(`${server.url}/seatbelt.v1.SessionService/CreateSession`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });

    expect(response.status).toBe(429);
    expect(await response.json()).toMatchObject({ code: "resource_exhausted" });
  });
});
