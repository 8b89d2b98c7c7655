import type { PipeChild } from "../floor.js";
import type { Alternative } from "../alternatives.js";
import { type BatchedSystem, alternate } from "../alternate.js";
import type { LatencyResult } from "../results.js";
import { SEATBELT } from "../results.js";
import type { SeatbeltSession } from "../../client/src/index.js";
import { ExecutionStatus } from "../../client/src/index.js";
import { elapsedMs } from "../stats.js";

/** One session of every system, each already holding `x = 0` and whatever state the workload adds. */
export interface RoundTripTargets {
  readonly seatbelt: SeatbeltSession;
  readonly floor: PipeChild;
  readonly alternatives: readonly Alternative[];
  /** A unary call with no sandbox work, to show what the RPC alone costs; left out when unset. */
  readonly rpcOnly?: () => Promise<unknown>;
}

/** Sample counts of one round-trip workload. */
export interface RoundTripPlan {
  readonly workload: string;
  readonly code: string;
  readonly count: number;
  /** Samples of tinyagent, whose every call starts a sandbox and takes seconds. */
  readonly slowCount: number;
  readonly rounds: number;
}

const WARM_UP_CALLS = 20;

async function timeSeatbelt(session: SeatbeltSession, code: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = process.hrtime.bigint();
    const outcome = await session.runPython(code);
    samples.push(elapsedMs(start));
    if (outcome.status !== ExecutionStatus.OK) {
      throw new Error(`seatbelt: ${code} ended with status ${ExecutionStatus[outcome.status]}: ${outcome.result.message}`);
    }
  }
  return samples;
}

async function timeCalls(call: () => Promise<unknown>, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = process.hrtime.bigint();
    await call();
    samples.push(elapsedMs(start));
  }
  return samples;
}

/** Measures the round trip of one small statement on every system, alternating them. */
export async function measureRoundTrip(targets: RoundTripTargets, plan: RoundTripPlan): Promise<LatencyResult[]> {
  const { code } = plan;
  const systems: BatchedSystem[] = [
    {
      name: SEATBELT,
      count: plan.count,
      warmUp: async () => void (await timeSeatbelt(targets.seatbelt, code, WARM_UP_CALLS)),
      runBatch: (count) => timeSeatbelt(targets.seatbelt, code, count),
    },
    {
      name: "floor: pipe child",
      count: plan.count,
      warmUp: async () => void (await timeCalls(() => targets.floor.run(code), WARM_UP_CALLS)),
      runBatch: (count) => timeCalls(() => targets.floor.run(code), count),
    },
    ...targets.alternatives.map((alternative): BatchedSystem => {
      const slow = alternative.name === "tinyagent";
      return {
        name: alternative.name,
        count: slow ? plan.slowCount : plan.count,
        warmUp: async () => void (await alternative.run(code, slow ? 1 : WARM_UP_CALLS)),
        runBatch: (count) => alternative.run(code, count),
      };
    }),
  ];
  const rpcOnly = targets.rpcOnly;
  if (rpcOnly !== undefined) {
    systems.push({
      name: "seatbelt, GetSession only (reference)",
      count: plan.count,
      warmUp: async () => void (await timeCalls(rpcOnly, WARM_UP_CALLS)),
      runBatch: (count) => timeCalls(rpcOnly, count),
    });
  }
  const samples = await alternate(systems, plan.rounds);
  return [...samples].map(([system, samplesMs]) => ({ kind: "latency", workload: plan.workload, system, samplesMs }));
}
