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
          const { ms, fromWarmPool } = await timeSeatbeltStart(targets.pooled);
          poolMisses += fromWarmPool ? 0 : 1;
          return ms;
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
  return [...samples].map(([system, samplesMs]) => {
    const note = system === "seatbelt, warm pool" && poolMisses > 0 ? `${poolMisses} samples found the pool empty` : undefined;
    return { kind: "latency" as const, workload: "start", system, samplesMs, ...(note === undefined ? {} : { note }) };
  });
}
