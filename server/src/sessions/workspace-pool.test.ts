import pino from "pino";
import { describe, expect, test } from "vitest";
import type { SessionId } from "./ids.js";
import { type PreparedWorkspace, WorkspacePool } from "./workspace-pool.js";

function createPool(prepare?: () => Promise<PreparedWorkspace>) {
  const prepared: PreparedWorkspace[] = [];
  const discarded: PreparedWorkspace[] = [];
  const pool = new WorkspacePool({
    diskBytes: 1024,
    logger: pino({ level: "silent" }),
    prepare:
      prepare ??
      (async () => {
        const workspace = { id: `ses_${prepared.length}` as SessionId, dir: `/w/${prepared.length}`, diskBytes: 1024 };
        prepared.push(workspace);
        return workspace;
      }),
    discard: async (workspace) => {
      discarded.push(workspace);
    },
  });
  return { pool, prepared, discarded };
}

describe("WorkspacePool", () => {
  test("empty pool hands out nothing", async () => {
    const { pool } = createPool();

    expect(await pool.take(1024)).toBeUndefined();
  });

  test("refilled pool hands out its spare once", async () => {
    const { pool } = createPool();
    pool.refill();

    expect(await pool.take(1024)).toEqual({ id: "ses_0", dir: "/w/0", diskBytes: 1024 });
    expect(await pool.take(1024)).toBeUndefined();
  });

  test("other size leaves spare in place", async () => {
    const { pool } = createPool();
    pool.refill();

    expect(await pool.take(2048)).toBeUndefined();
    expect((await pool.take(1024))?.dir).toBe("/w/0");
  });

  test("refill keeps one spare only", async () => {
    const { pool, prepared } = createPool();
    pool.refill();
    pool.refill();
    await pool.take(1024);

    expect(prepared).toHaveLength(1);
  });

  test("failed preparation leaves pool empty", async () => {
    const { pool } = createPool(() => Promise.reject(new Error("mount failed")));
    pool.refill();

    expect(await pool.take(1024)).toBeUndefined();
  });

  test("close discards spare and stops refills", async () => {
    const { pool, prepared, discarded } = createPool();
    pool.refill();

    await pool.close();
    pool.refill();

    expect(discarded.map((workspace) => workspace.dir)).toEqual(["/w/0"]);
    expect(prepared).toHaveLength(1);
    expect(await pool.take(1024)).toBeUndefined();
  });
});
