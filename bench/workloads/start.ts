import type { Alternative } from "../alternatives.js";
import { type BatchedSystem, alternate } from "../alternate.js";
import { timeBubblewrapStart, timePipeChildStart } from "../floor.js";
import type { LatencyResult } from "../results.js";
import { SEATBELT } from "../results.js";
import type { SeatbeltUnderTest } from "../seatbelt.js";
import { elapsedMs } from "../stats.js";

/** Servers, interpreters and alternatives of the start workload. */
export interface StartTargets {
  /** A server without a warm pool. */
  readonly cold: SeatbeltUnderTest;
  /** A server with a warm pool. */
  readonly pooled: SeatbeltUnderTest;
  readonly python: string;
  readonly bubblewrap: string;
  readonly alternatives: readonly Alternative[];
}

/**
 * Pause before each warm-pool sample and each run of the idle reference.
 * After a pause every process involved has to be woken and scheduled
 * again, which on a loaded machine costs more than the work itself, so the
 * reference row shows that cost apart from the pool's.
 */
const IDLE_PAUSE_MS = 100;

/** Sample counts of the start workload. */
export interface StartPlan {
  readonly count: number;
  readonly slowCount: number;
  readonly rounds: number;
}

/** Times CreateSession plus the result of `1`; the session is deleted afterwards, untimed. */
async function timeSeatbeltStart(server: SeatbeltUnderTest): Promise<{ ms: number; fromWarmPool: boolean }> {
  const start = process.hrtime.bigint();
  const session = await server.client.createSession();
  const outcome = await session.runPython("1");
  const ms = elapsedMs(start);
  await session.close();
  if (outcome.value !== "1") {
    throw new Error(`seatbelt: 1 evaluated to ${outcome.value}: ${outcome.result.message}`);
  }
  return { ms, fromWarmPool: session.info.fromWarmPool };
}

function pause(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, IDLE_PAUSE_MS));
}

async function repeat(count: number, measure: () => Promise<number>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    samples.push(await measure());
  }
  return samples;
}

/** Measures the start of a session and its first result, cold and from a warm pool, against the alternatives. */
export async function measureStart(targets: StartTargets, plan: StartPlan): Promise<LatencyResult[]> {
  let poolMisses = 0;
  const idleSession = await targets.pooled.client.createSession();
  const systems: BatchedSystem[] = [
    {
      name: SEATBELT,
      count: plan.count,
      warmUp: async () => void (await timeSeatbeltStart(targets.cold)),
      runBatch: (count) => repeat(count, async () => (await timeSeatbeltStart(targets.cold)).ms),
    },
    {
      name: "seatbelt, warm pool",
      count: plan.count,
      warmUp: () => targets.pooled.waitForPool(),
      // The pool refills in the background; each sample waits, untimed,
      // until it is full, as a server between bursts of requests would be.
      runBatch: (count) =>
        repeat(count, async () => {
          await targets.pooled.waitForPool();
          await pause();
          const { ms, fromWarmPool } = await timeSeatbeltStart(targets.pooled);
          poolMisses += fromWarmPool ? 0 : 1;
          return ms;
        }),
    },
    {
      name: "seatbelt, idle session (reference)",
      count: plan.count,
      warmUp: async () => void (await idleSession.runPython("1")),
      runBatch: (count) =>
        repeat(count, async () => {
          await pause();
          const start = process.hrtime.bigint();
          await idleSession.runPython("1");
          return elapsedMs(start);
        }),
    },
    {
      name: "floor: pipe child",
      count: plan.count,
      warmUp: async () => void (await timePipeChildStart(targets.python)),
      runBatch: (count) => repeat(count, () => timePipeChildStart(targets.python)),
    },
    {
      name: "floor: bwrap python3 -c pass",
      count: plan.count,
      warmUp: async () => void (await timeBubblewrapStart(targets.bubblewrap, targets.python)),
      runBatch: (count) => repeat(count, () => timeBubblewrapStart(targets.bubblewrap, targets.python)),
    },
    ...targets.alternatives.map((alternative): BatchedSystem => {
      const count = alternative.name === "tinyagent" ? plan.slowCount : Math.ceil(plan.count / 3);
      return { name: alternative.name, count, warmUp: async () => {}, runBatch: (batch) => alternative.start(batch) };
    }),
  ];
  const samples = await alternate(systems, plan.rounds);
  await idleSession.close();
  return [...samples].map(([system, samplesMs]) => {
    const notes: Record<string, string> = {
      "seatbelt, warm pool": `after a ${IDLE_PAUSE_MS} ms pause${poolMisses > 0 ? `; ${poolMisses} samples found the pool empty` : ""}`,
      "seatbelt, idle session (reference)": `the result of 1 in an existing session after a ${IDLE_PAUSE_MS} ms pause`,
    };
    const note = notes[system];
    return { kind: "latency" as const, workload: "start", system, samplesMs, ...(note === undefined ? {} : { note }) };
  });
}
