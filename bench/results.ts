import type { LatencySummary } from "./stats.js";

/** Latency samples of one system on one workload. */
export interface LatencyResult {
  readonly kind: "latency";
  readonly workload: string;
  readonly system: string;
  readonly samplesMs: readonly number[];
  readonly note?: string;
}

/** One number measured for a system, such as a throughput. */
export interface MetricResult {
  readonly kind: "metric";
  readonly workload: string;
  readonly system: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

export type BenchResult = LatencyResult | MetricResult;

/** A system that could not be measured, and why. */
export interface SkippedSystem {
  readonly workload: string;
  readonly system: string;
  readonly reason: string;
}

/** Everything one benchmark run measured. */
export interface BenchRun {
  readonly startedAt: string;
  readonly quick: boolean;
  readonly environment: Readonly<Record<string, string>>;
  readonly results: BenchResult[];
  readonly skipped: SkippedSystem[];
}

/** A latency result with its summary and its ratio to Seatbelt's median. */
export interface SummarizedLatency extends LatencySummary {
  readonly workload: string;
  readonly system: string;
  /** This system's median divided by Seatbelt's on the same workload; 1 for Seatbelt itself. */
  readonly ratioToSeatbelt: number | null;
  readonly note?: string;
}

/** Name of the system that every ratio divides by. */
export const SEATBELT = "seatbelt";
