import type { BenchRun, MetricResult, SummarizedLatency } from "./results.js";
import { SEATBELT } from "./results.js";
import { summarize } from "./stats.js";

/** Summarizes every latency result and divides each median by Seatbelt's on the same workload. */
export function summarizeLatencies(run: BenchRun): SummarizedLatency[] {
  const latencies = run.results.filter((result) => result.kind === "latency");
  const seatbeltMedians = new Map(latencies.filter((result) => result.system === SEATBELT).map((result) => [result.workload, summarize(result.samplesMs).medianMs]));
  return latencies.map((result) => {
    const summary = summarize(result.samplesMs);
    const reference = seatbeltMedians.get(result.workload);
    return {
      workload: result.workload,
      system: result.system,
      ...summary,
      ratioToSeatbelt: reference === undefined ? null : summary.medianMs / reference,
      ...(result.note === undefined ? {} : { note: result.note }),
    };
  });
}

/** One target of the benchmark and whether this run met it. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | null;
}

function format(value: number, digits = 3): string {
  if (!Number.isFinite(value)) {
    return "n/a";
  }
  return value >= 100 ? value.toFixed(0) : value.toPrecision(digits);
}

function findMedian(latencies: readonly SummarizedLatency[], workload: string, system: string): number {
  return latencies.find((row) => row.workload === workload && row.system === system)?.medianMs ?? Number.NaN;
}

function findMetric(metrics: readonly MetricResult[], workload: string, metric: string): number[] {
  return metrics.filter((row) => row.workload === workload && row.metric === metric && row.system === SEATBELT).map((row) => row.value);
}

/**
 * Seatbelt's value of a metric at the largest "scale, N sessions" step that
 * measured it, with N; a --quick run stops at a smaller step than the full one.
 */
export function findLargestScaleMetric(metrics: readonly MetricResult[], metric: string): { value: number; sessions: number } | undefined {
  const steps = metrics
    .filter((row) => row.metric === metric && row.system === SEATBELT)
    .map((row) => ({ value: row.value, sessions: Number(/^scale, (\d+) sessions$/.exec(row.workload)?.[1] ?? Number.NaN) }))
    .filter((step) => !Number.isNaN(step.sessions));
  return steps.sort((a, b) => b.sessions - a.sessions)[0];
}

function check(target: string, measured: string, met: boolean): TargetCheck {
  return { target, measured, met: measured.includes("n/a") ? null : met };
}

/** Compares this run with the targets that the project set for a 2-core machine. */
export function checkTargets(latencies: readonly SummarizedLatency[], metrics: readonly MetricResult[]): TargetCheck[] {
  const roundTrip = findMedian(latencies, "round trip", SEATBELT);
  const jupyter = findMedian(latencies, "round trip", "jupyter");
  const tinyagent = findMedian(latencies, "round trip", "tinyagent");
  const cold = findMedian(latencies, "start", SEATBELT);
  const warm = findMedian(latencies, "start", "seatbelt, warm pool");
  const state100 = findMedian(latencies, "round trip, 100 MB state", SEATBELT);
  const firstChunk = findMedian(latencies, "first chunk", SEATBELT);
  const throughput = Math.max(...findMetric(metrics, "stdout throughput", "throughput"));
  const rate = findMetric(metrics, "scale, 200 sessions", "executions per second")[0] ?? Number.NaN;
  const errors = findMetric(metrics, "scale, 200 sessions", "errors")[0] ?? Number.NaN;
  const pss = findLargestScaleMetric(metrics, "PSS per idle session");
  const pssMiB = pss?.value ?? Number.NaN;
  return [
    check("round trip p50 ≤ 1 ms", `${format(roundTrip)} ms`, roundTrip <= 1),
    check("round trip ≤ half of Jupyter's", `${format(roundTrip / jupyter)} × Jupyter`, roundTrip <= jupyter / 2),
    check("round trip 100× faster than tinyagent", `${format(tinyagent / roundTrip)}× faster`, tinyagent / roundTrip >= 100),
    check("start, cold p50 ≤ 30 ms", `${format(cold)} ms`, cold <= 30),
    check("start, warm pool p50 ≤ 3 ms", `${format(warm)} ms`, warm <= 3),
    check("round trip with 100 MB state within 10% of empty", `${format((state100 / roundTrip - 1) * 100)} %`, state100 <= roundTrip * 1.1),
    check("first chunk p50 ≤ 2 ms", `${format(firstChunk)} ms`, firstChunk <= 2),
    check("stdout throughput ≥ 300 MB/s", `${format(throughput)} MB/s`, throughput >= 300),
    check("200 sessions without errors", `${format(errors)} errors`, errors === 0),
    check("200 sessions ≥ 2,000 executions/s", `${format(rate)} /s`, rate >= 2000),
    check("≤ 12 MB per idle session", `${format(pssMiB)} MiB PSS${pss === undefined ? "" : ` at ${pss.sessions} sessions`}`, pssMiB * 1.048576 <= 12),
  ];
}

/** Writes the run as Markdown: environment, targets, latency table, metrics, skipped systems. */
export function renderMarkdown(
  run: BenchRun,
  latencies: readonly SummarizedLatency[],
  targets: readonly TargetCheck[],
  notes: readonly string[],
  unmet: readonly string[] = [],
): string {
  const metrics = run.results.filter((result) => result.kind === "metric");
  const lines = [
    "# Seatbelt benchmark",
    "",
    `Run ${run.startedAt}${run.quick ? " in --quick mode (fewer samples; not for comparison)" : ""}. Regenerate with \`npm run bench\`.`,
    "",
    "| | |",
    "| --- | --- |",
    ...Object.entries(run.environment).map(([name, value]) => `| ${name} | ${value} |`),
    "",
    "## Targets",
    "",
    "| target | measured | met |",
    "| --- | --- | --- |",
    ...targets.map((row) => `| ${row.target} | ${row.measured} | ${row.met === null ? "not measured" : row.met ? "yes" : "no"} |`),
    "",
    "## Latency",
    "",
    "Times from the caller's side: the TypeScript client over gRPC on loopback for Seatbelt, the",
    "Python client calls for the alternatives. The ratio divides a system's median by Seatbelt's.",
    "",
    "| workload | system | samples | median ms | p99 ms | ratio to Seatbelt | note |",
    "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ...latencies.map((row) => `| ${row.workload} | ${row.system} | ${row.count} | ${format(row.medianMs)} | ${format(row.p99Ms)} | ${row.ratioToSeatbelt === null ? "" : format(row.ratioToSeatbelt)} | ${row.note ?? ""} |`),
    "",
    "![latency distributions](latency.svg)",
    "",
    "## Throughput, scale and memory",
    "",
    "| workload | system | metric | value | unit | note |",
    "| --- | --- | --- | ---: | --- | --- |",
    ...metrics.map((row) => `| ${row.workload} | ${row.system} | ${row.metric} | ${format(row.value)} | ${row.unit} | ${row.note ?? ""} |`),
    "",
  ];
  if (run.skipped.length > 0) {
    lines.push("## Not measured", "", ...run.skipped.map((row) => `- ${row.workload}, ${row.system}: ${row.reason}`), "");
  }
  if (unmet.length > 0) {
    lines.push("## What limits the targets not met", "", ...unmet.map((line) => `- ${line}`), "");
  }
  if (notes.length > 0) {
    lines.push("## Notes", "", ...notes.map((note) => `- ${note}`), "");
  }
  return lines.join("\n");
}
