import type { TargetCheck } from "./report.js";
import type { MetricResult, SummarizedLatency } from "./results.js";

/** Lookups into one run's rows, for the numbers that explain a missed target. */
interface Evidence {
  median(workload: string, system: string): number | undefined;
  metric(workload: string, system: string, metric: string): number | undefined;
}

type Explain = (evidence: Evidence) => string;

function formatMs(value: number | undefined): string {
  return value === undefined ? "n/a" : `${value.toFixed(2)} ms`;
}

const RPC_STACK: Explain = (evidence) => {
  const rpcOnly = evidence.median("round trip", "seatbelt, GetSession only (reference)");
  const roundTrip = evidence.median("round trip", "seatbelt");
  return (
    `A GetSession call, which runs no code, takes ${formatMs(rpcOnly)} of the ${formatMs(roundTrip)} round trip: ` +
    "the cost is the RPC stack (connect-es builds an AbortController, a DOMException and an async-iterable pipeline per call on each side), " +
    "not the sandbox. What would change it: a plain HTTP/2 handler for Execute, or one stream per session that carries many executions."
  );
};

/**
 * The reason behind each target, keyed by the target's text in checkTargets.
 * Each names the limiting cost with this run's numbers and the change that
 * would remove it.
 */
const EXPLANATIONS: Readonly<Record<string, Explain>> = {
  "round trip p50 ≤ 1 ms": RPC_STACK,
  "round trip ≤ half of Jupyter's": RPC_STACK,
  "first chunk p50 ≤ 2 ms": RPC_STACK,
  "start, cold p50 ≤ 30 ms": (evidence) =>
    `bubblewrap and Python alone (\`bwrap ... python3 -c pass\`) take ${formatMs(evidence.median("start", "floor: bwrap python3 -c pass"))}; ` +
    "a session adds the workspace, its cgroup and the runtime's imports on top. What would change it: the warm pool, which serves default sessions without a start.",
  "start, warm pool p50 ≤ 3 ms": (evidence) =>
    `The result of 1 in an already open session after the same pause takes ${formatMs(evidence.median("start", "seatbelt, idle session (reference)"))}: ` +
    "most of a warm start is waking sleeping processes and the RPC stack, not the pool. What would change it: a quiet machine, and the leaner RPC path above.",
  "stdout throughput ≥ 300 MB/s": (evidence) =>
    `A Jupyter kernel delivers ${evidence.metric("stdout throughput", "jupyter", "throughput")?.toFixed(0) ?? "n/a"} MB/s on the same machine; ` +
    "the server's gRPC send path (one protobuf message per 64 KiB chunk, text decoded and encoded again) is the limit, while the server reads the sandbox at several hundred MB/s. " +
    "What would change it: larger chunks for binary output and sending bytes without the UTF-8 round trip.",
  "round trip with 100 MB state within 10% of empty": (evidence) =>
    `Seatbelt took ${formatMs(evidence.median("round trip, 1 MB state", "seatbelt"))}, ${formatMs(evidence.median("round trip, 10 MB state", "seatbelt"))} and ` +
    `${formatMs(evidence.median("round trip, 100 MB state", "seatbelt"))} with 1, 10 and 100 MB held, while the pipe child and Jupyter stayed flat; ` +
    "the cause is not measured yet. Candidates are reclaim in the session's memory cgroup and the load of other work on the machine (an earlier run measured the 100 MB round trip 17% faster than the empty one). " +
    "What would settle it: the same workload with the memory limit raised, and with more rounds on a quiet machine.",
  "200 sessions ≥ 2,000 executions/s": (evidence) => {
    const rate = evidence.metric("scale, 200 sessions", "seatbelt", "executions per second");
    const cpuMs = rate === undefined || rate === 0 ? undefined : 2000 / rate;
    return (
      `At ${rate?.toFixed(0) ?? "n/a"} executions/s on 2 cores shared with the benchmark's client, each execution costs about ${formatMs(cpuMs)} of CPU, most of it in the RPC stack on both sides. ` +
      "What would change it: the leaner RPC path above, and a client on other cores."
    );
  },
};

/** Explains each target that a run did not meet, in the run's own numbers. */
export function explainUnmetTargets(targets: readonly TargetCheck[], latencies: readonly SummarizedLatency[], metrics: readonly MetricResult[]): string[] {
  const evidence: Evidence = {
    median: (workload, system) => latencies.find((row) => row.workload === workload && row.system === system)?.medianMs,
    metric: (workload, system, metric) => metrics.find((row) => row.workload === workload && row.system === system && row.metric === metric)?.value,
  };
  return targets
    .filter((target) => target.met === false)
    .map((target) => `${target.target} (measured ${target.measured}): ${EXPLANATIONS[target.target]?.(evidence) ?? "no explanation recorded for this target."}`);
}
