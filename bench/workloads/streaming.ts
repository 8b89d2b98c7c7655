import type { Alternative } from "../alternatives.js";
import { type BatchedSystem, alternate } from "../alternate.js";
import { measurePipeThroughput } from "../floor.js";
import type { BenchResult } from "../results.js";
import { SEATBELT } from "../results.js";
import type { SeatbeltSession } from "../../client/src/index.js";
import { elapsedMs } from "../stats.js";

/** Sample counts and sizes of the streaming workload. */
export interface StreamingPlan {
  readonly firstChunkCount: number;
  readonly rounds: number;
  readonly megabytes: number;
  readonly repeats: number;
  /** Output size for tinyagent, which returns output as one JSON string. */
  readonly slowMegabytes: number;
}

const THROUGHPUT_CODE = (megabytes: number) => `import sys\nblock = 'x' * (1 << 20)\nfor _ in range(${megabytes}):\n    sys.stdout.write(block)\nsys.stdout.flush()`;

async function timeFirstChunk(session: SeatbeltSession, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const start = process.hrtime.bigint();
    let first: number | undefined;
    for await (const response of session.streamPython('print("a")')) {
      if (response.event.case === "output" && first === undefined) {
        first = elapsedMs(start);
      }
    }
    samples.push(first ?? Number.NaN);
  }
  return samples;
}

/** Returns the MB/s at which the client receives megabytes of stdout. */
async function measureSeatbeltThroughput(session: SeatbeltSession, megabytes: number): Promise<number> {
  let received = 0;
  const start = process.hrtime.bigint();
  for await (const response of session.streamPython(THROUGHPUT_CODE(megabytes))) {
    if (response.event.case === "output") {
      const content = response.event.value.content;
      received += content.case === "text" ? content.value.length : (content.value?.length ?? 0);
    }
  }
  const seconds = elapsedMs(start) / 1000;
  if (received !== megabytes * 1024 * 1024) {
    throw new Error(`seatbelt delivered ${received} of ${megabytes * 1024 * 1024} bytes`);
  }
  return received / 1e6 / seconds;
}

/** Measures the first output chunk's latency and stdout throughput. */
export async function measureStreaming(session: SeatbeltSession, python: string, alternatives: readonly Alternative[], plan: StreamingPlan): Promise<BenchResult[]> {
  const systems: BatchedSystem[] = [
    { name: SEATBELT, count: plan.firstChunkCount, warmUp: async () => void (await timeFirstChunk(session, 10)), runBatch: (count) => timeFirstChunk(session, count) },
    ...alternatives
      .filter((alternative) => alternative.name !== "tinyagent")
      .map((alternative): BatchedSystem => ({ name: alternative.name, count: plan.firstChunkCount, warmUp: async () => void (await alternative.firstChunk(10)), runBatch: (count) => alternative.firstChunk(count) })),
  ];
  const firstChunks = await alternate(systems, plan.rounds);
  const results: BenchResult[] = [...firstChunks].map(([system, samplesMs]) => ({ kind: "latency", workload: "first chunk", system, samplesMs }));

  const throughput = (system: string, value: number, note?: string): BenchResult => ({ kind: "metric", workload: "stdout throughput", system, metric: "throughput", value, unit: "MB/s", ...(note === undefined ? {} : { note }) });
  for (let repeat = 0; repeat < plan.repeats; repeat++) {
    results.push(throughput(SEATBELT, await measureSeatbeltThroughput(session, plan.megabytes), `${plan.megabytes} MiB received by the TypeScript client`));
    results.push(throughput("floor: pipe to cat > /dev/null", await measurePipeThroughput(python, plan.megabytes), `${plan.megabytes} MiB, timed by the writer`));
    for (const alternative of alternatives) {
      // One sample of tinyagent is enough: a call takes seconds either way.
      const megabytes = alternative.name !== "tinyagent" ? plan.megabytes : repeat === 0 ? plan.slowMegabytes : 0;
      if (megabytes > 0) {
        const value = await alternative.throughput(megabytes).catch((error: unknown) => {
          results.push(throughput(alternative.name, Number.NaN, `failed: ${(error as Error).message.split("\n").at(-1)}`));
          return undefined;
        });
        if (value !== undefined) {
          results.push(throughput(alternative.name, value, `${megabytes} MiB`));
        }
      }
    }
  }
  return results;
}
