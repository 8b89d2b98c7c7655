/** A system measured by drawing batches of latency samples. */
export interface BatchedSystem {
  readonly name: string;
  /** Samples to take in total after the warm-up. */
  readonly count: number;
  readonly warmUp: () => Promise<void>;
  readonly runBatch: (count: number) => Promise<number[]>;
}

/**
 * Warms every system up, then takes their samples in rounds, rotating the
 * order in each round, so that a change in the machine's load over the run
 * falls on every system rather than on whichever ran last.
 */
export async function alternate(systems: readonly BatchedSystem[], rounds: number): Promise<Map<string, number[]>> {
  const samples = new Map<string, number[]>(systems.map((system) => [system.name, []]));
  for (const system of systems) {
    await system.warmUp();
  }
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < systems.length; offset++) {
      const system = systems[(round + offset) % systems.length]!;
      const taken = samples.get(system.name)!;
      const batch = Math.min(Math.ceil(system.count / rounds), system.count - taken.length);
      if (batch > 0) {
        taken.push(...(await system.runBatch(batch)));
      }
    }
  }
  return samples;
}
