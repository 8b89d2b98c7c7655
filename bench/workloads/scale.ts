import type { SeatbeltSession } from "../../client/src/index.js";
import { ExecutionStatus } from "../../client/src/index.js";
import { readProcessTree, readRssBytes, readTreePssBytes } from "../memory.js";
import type { MetricResult } from "../results.js";
import { SEATBELT } from "../results.js";
import type { SeatbeltUnderTest } from "../seatbelt.js";
import { summarize } from "../stats.js";

/** Session counts and load duration of the scale workload. */
export interface ScalePlan {
  readonly sessionCounts: readonly number[];
  readonly loadMs: number;
}

/** Sessions created at once while the workload sets up. */
const CREATE_CONCURRENCY = 8;
const MIB = 1024 * 1024;

async function createSessions(server: SeatbeltUnderTest, count: number): Promise<{ sessions: SeatbeltSession[]; errors: number }> {
  const sessions: SeatbeltSession[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const session = await server.client.createSession();
        await session.runPython("x = 0");
        sessions.push(session);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
  return { sessions, errors };
}

/** Runs `x += 1` in every session in a loop until the time is up; returns counts of results. */
async function loadSessions(sessions: readonly SeatbeltSession[], loadMs: number): Promise<{ executions: number; errors: number; elapsedMs: number }> {
  let executions = 0;
  let errors = 0;
  const start = Date.now();
  const deadline = start + loadMs;
  await Promise.all(
    sessions.map(async (session) => {
      while (Date.now() < deadline) {
        try {
          const outcome = await session.runPython("x += 1");
          if (outcome.status === ExecutionStatus.OK) {
            executions++;
          } else {
            errors++;
          }
        } catch {
          errors++;
        }
      }
    }),
  );
  return { executions, errors, elapsedMs: Date.now() - start };
}

/** Returns the median PSS of the sessions' sandboxes, each with all its processes. */
async function measureIdlePss(server: SeatbeltUnderTest): Promise<number> {
  const tree = await readProcessTree();
  const perSandbox: number[] = [];
  for (const pid of await server.listSandboxPids()) {
    perSandbox.push(await readTreePssBytes(pid, tree));
  }
  return summarize(perSandbox).medianMs;
}

/** Holds many sessions at once and measures executions per second, errors and memory. */
export async function measureScale(server: SeatbeltUnderTest, plan: ScalePlan): Promise<MetricResult[]> {
  const results: MetricResult[] = [];
  for (const count of plan.sessionCounts) {
    const workload = `scale, ${count} sessions`;
    const metric = (name: string, value: number, unit: string, note?: string): MetricResult => ({ kind: "metric", workload, system: SEATBELT, metric: name, value, unit, ...(note === undefined ? {} : { note }) });

    const { sessions, errors: createErrors } = await createSessions(server, count);
    const idlePss = await measureIdlePss(server);
    const idleRss = await readRssBytes(server.pid);
    const load = await loadSessions(sessions, plan.loadMs);
    const loadedRss = await readRssBytes(server.pid);
    await Promise.all(sessions.map((session) => session.close().catch(() => {})));

    results.push(
      metric("executions per second", (load.executions / load.elapsedMs) * 1000, "1/s", `x += 1 in every session for ${plan.loadMs} ms`),
      metric("errors", createErrors + load.errors, "count", "failed creates and executions"),
      metric("PSS per idle session", idlePss / MIB, "MiB", "median over sandboxes, all processes of each"),
      metric("server RSS, idle", idleRss / MIB, "MiB"),
      metric("server RSS, after load", loadedRss / MIB, "MiB"),
    );
  }
  return results;
}
