/**
 * Runs every benchmark workload against Seatbelt and its alternatives and
 * writes bench/results/ (bench/results/quick/ with --quick): report.md, results.json and latency.svg.
 *
 * Usage: npm run bench [-- --quick]
 */
import { explainUnmetTargets } from "./unmet-targets.js";
import { execSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, release } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Alternative, type AlternativeName } from "./alternatives.js";
import { renderLatencyChart } from "./chart.js";
import { PipeChild } from "./floor.js";
import { readTreePssBytes, readProcessTree } from "./memory.js";
import { checkTargets, renderMarkdown, summarizeLatencies } from "./report.js";
import type { BenchResult, BenchRun, LatencyResult, MetricResult, SkippedSystem, SummarizedLatency } from "./results.js";
import { type SeatbeltUnderTest, startSeatbelt } from "./seatbelt.js";
import { type BenchVenv, ensureVenv } from "./venv.js";
import { measureRoundTrip } from "./workloads/round-trip.js";
import { measureScale } from "./workloads/scale.js";
import { measureStart } from "./workloads/start.js";
import { measureStreaming } from "./workloads/streaming.js";

const RESULTS_DIR = fileURLToPath(new URL("./results/", import.meta.url));
/** Directory of --quick reports, which is gitignored so a quick run leaves the committed report alone. */
const QUICK_RESULTS_DIR = fileURLToPath(new URL("./results/quick/", import.meta.url));
/** Interpreter of the sandboxes and of the alternatives' virtual environment. */
const PYTHON = "/usr/bin/python3";
const BUBBLEWRAP = "/usr/bin/bwrap";
/** Warm pool of the server that the pooled start and the round trips use. */
const BENCH_POOL_SIZE = 4;
const MIB = 1024 * 1024;

/** Sample counts, sizes and durations; --quick cuts them to finish in about one to two minutes. */
const PLANS = {
  full: { roundTrip: 1000, tinyagentCalls: 5, rounds: 10, stateSizes: [1, 10, 100], stateCount: 300, stateTinyagentCalls: 2, start: 30, tinyagentStarts: 2, firstChunk: 300, megabytes: 100, repeats: 3, tinyagentMegabytes: 10, sessionCounts: [50, 100, 200], loadMs: 5_000 },
  quick: { roundTrip: 200, tinyagentCalls: 2, rounds: 4, stateSizes: [1, 10, 100], stateCount: 100, stateTinyagentCalls: 0, start: 8, tinyagentStarts: 1, firstChunk: 100, megabytes: 100, repeats: 1, tinyagentMegabytes: 0, sessionCounts: [50], loadMs: 2_000 },
};

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

function readCommand(command: string): string {
  try {
    return execSync(command, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

async function openAlternatives(venv: BenchVenv, skipped: SkippedSystem[]): Promise<Alternative[]> {
  const alternatives: Alternative[] = [];
  for (const name of ["jupyter", "tinyagent"] as AlternativeName[]) {
    try {
      const alternative = await Alternative.start(name, venv);
      await alternative.open();
      alternatives.push(alternative);
    } catch (error) {
      skipped.push({ workload: "all", system: name, reason: `could not start: ${(error as Error).message}` });
    }
  }
  return alternatives;
}

async function measureIdleMemory(alternatives: readonly Alternative[], floor: PipeChild): Promise<MetricResult[]> {
  const tree = await readProcessTree();
  const results: MetricResult[] = [];
  const add = (system: string, bytes: number, note: string) => results.push({ kind: "metric", workload: "idle session memory", system, metric: "PSS", value: bytes / MIB, unit: "MiB", note });
  add("floor: pipe child", await readTreePssBytes(floor.pid, tree), "one python3 process");
  for (const alternative of alternatives.filter((candidate) => candidate.name === "jupyter")) {
    const { pid } = await alternative.open();
    if (pid !== undefined) {
      add(alternative.name, await readTreePssBytes(pid, tree), "a fresh kernel process");
    }
  }
  return results;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false } } });
  const quick = values.quick ?? false;
  const plan = quick ? PLANS.quick : PLANS.full;
  const startedAt = new Date().toISOString();
  const results: BenchResult[] = [];
  const skipped: SkippedSystem[] = [];

  log("installing the alternatives and starting servers");
  const venv = await ensureVenv(PYTHON);
  // A live reader that falls more than retainedEventBytes behind loses
  // events. This server keeps all 100 MiB, so the throughput workload
  // measures delivered output, not dropped output.
  const pooled = await startSeatbelt({ warmPoolSize: BENCH_POOL_SIZE, retainedEventBytes: 2 * (plan.megabytes + 1) * MIB });
  // The scale workload opens more sessions than the default maxSessions.
  const cold = await startSeatbelt({ warmPoolSize: 0, maxSessions: Math.max(...plan.sessionCounts) + 10 });
  const servers: SeatbeltUnderTest[] = [pooled, cold];
  const alternatives = await openAlternatives(venv, skipped);
  const floor = new PipeChild(PYTHON);
  // A workload that fails is reported as not measured, and the run goes
  // on, so that one broken alternative does not cost the whole report.
  let failed = false;
  const attempt = async (workload: string, measure: () => Promise<BenchResult[]>) => {
    log(workload);
    try {
      results.push(...(await measure()));
    } catch (error) {
      const message = (error as Error).message.split("\n").filter((line) => line.trim() !== "").at(-1) ?? String(error);
      log(`${workload} failed: ${(error as Error).message}`);
      skipped.push({ workload, system: "all", reason: `failed: ${message}` });
      failed = true;
    }
  };

  try {
    log("round trip");
    const session = await pooled.client.createSession();
    await Promise.all([session.runPython("x = 0"), floor.run("x = 0"), ...alternatives.map((alternative) => alternative.run("x = 0", 1))]);
    const roundTripPlan = { code: "x += 1", rounds: plan.rounds };
    const rpcOnly = () => pooled.client.sessions.getSession({ sessionId: session.id });
    results.push(...(await measureRoundTrip({ seatbelt: session, floor, alternatives, rpcOnly }, { ...roundTripPlan, workload: "round trip", count: plan.roundTrip, slowCount: plan.tinyagentCalls })));

    const stateAlternatives = alternatives.filter((alternative) => alternative.name !== "tinyagent" || plan.stateTinyagentCalls > 0);
    if (stateAlternatives.length < alternatives.length) {
      skipped.push({ workload: "growing state", system: "tinyagent", reason: "left out of --quick: each call takes seconds" });
    }
    for (const megabytes of plan.stateSizes) {
      log(`round trip with ${megabytes} MB of state`);
      // No import: tinyagent's safety check rejects `import os`.
      const setState = `data = (bytes(range(256)) * ${Math.ceil((megabytes * 1_000_000) / 256)})[:${megabytes * 1_000_000}]`;
      await Promise.all([session.runPython(setState), floor.run(setState), ...stateAlternatives.map((alternative) => alternative.run(setState, 1))]);
      const workload = `round trip, ${megabytes} MB state`;
      results.push(...(await measureRoundTrip({ seatbelt: session, floor, alternatives: stateAlternatives }, { ...roundTripPlan, workload, count: plan.stateCount, slowCount: plan.stateTinyagentCalls })));
    }
    await session.runPython("del data");
    await Promise.all([floor.run("del data"), ...stateAlternatives.map((alternative) => alternative.run("del data", 1))]);

    await attempt("start", () => measureStart({ cold, pooled, python: PYTHON, bubblewrap: BUBBLEWRAP, alternatives }, { count: plan.start, slowCount: plan.tinyagentStarts, rounds: plan.rounds }));

    skipped.push({ workload: "first chunk", system: "tinyagent", reason: "execute_python returns output only when the call ends, so its first chunk is the whole call" });
    if (plan.tinyagentMegabytes === 0) {
      skipped.push({ workload: "stdout throughput", system: "tinyagent", reason: "left out of --quick" });
    }
    // The default output cap of a session is below the throughput workload's
    // output, and a reader that falls behind keeps only half the cap as the
    // tail, so the cap is twice the output.
    const outputBytes = BigInt(2 * (plan.megabytes + 1) * MIB);
    const streamingSession = await pooled.client.createSession({ limits: { outputBytes } });
    await attempt("streaming", () => measureStreaming(streamingSession, PYTHON, alternatives, { firstChunkCount: plan.firstChunk, rounds: plan.rounds, megabytes: plan.megabytes, repeats: plan.repeats, slowMegabytes: plan.tinyagentMegabytes }));
    await Promise.all([session.close(), streamingSession.close()]);
    await attempt("idle memory", () => measureIdleMemory(alternatives, floor));
    await attempt(`scale (${plan.sessionCounts.join(", ")} sessions)`, () => measureScale(cold, { sessionCounts: plan.sessionCounts, loadMs: plan.loadMs }));
  } finally {
    floor.close();
    await Promise.all([...servers.map((server) => server.stop()), ...alternatives.map((alternative) => alternative.stop())]);
  }

  const environment = {
    "seatbelt commit": readCommand("git rev-parse --short HEAD") + (readCommand("git status --porcelain --untracked-files=no") === "" ? "" : " (with uncommitted changes)"),
    node: process.version,
    python: readCommand(`${PYTHON} --version`),
    bubblewrap: readCommand(`${BUBBLEWRAP} --version`),
    kernel: release(),
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? "unknown"}`,
    "load average at the end": loadavg().map((value) => value.toFixed(2)).join(", "),
    ...Object.fromEntries(Object.entries(venv.versions).map(([name, version]) => [name, version])),
  };
  const run: BenchRun = { startedAt, quick, environment, results, skipped };
  await writeResults(run);
  if (failed) {
    process.exitCode = 1;
  }
}

/** Returns notes that put Seatbelt's medians next to their reference rows. */
function describeShares(latencies: readonly SummarizedLatency[]): string[] {
  const median = (workload: string, system: string) => latencies.find((row) => row.workload === workload && row.system === system)?.medianMs;
  const notes: string[] = [];
  const roundTrip = median("round trip", "seatbelt");
  const rpcOnly = median("round trip", "seatbelt, GetSession only (reference)");
  if (roundTrip !== undefined && rpcOnly !== undefined) {
    notes.push(`A GetSession call, which runs no code, takes ${rpcOnly.toFixed(2)} ms of the round trip's ${roundTrip.toFixed(2)} ms: most of a round trip is the RPC stack, not the sandbox.`);
  }
  const warm = median("start", "seatbelt, warm pool");
  const idle = median("start", "seatbelt, idle session (reference)");
  if (warm !== undefined && idle !== undefined) {
    notes.push(`After the same pause, the result of 1 in an existing session takes ${idle.toFixed(2)} ms and a session from the warm pool with that result ${warm.toFixed(2)} ms: most of a warm start is waking the processes after a pause.`);
  }
  return notes;
}

function findSamples(run: BenchRun, workload: string, system: string): number[] {
  const result = run.results.find((candidate): candidate is LatencyResult => candidate.kind === "latency" && candidate.workload === workload && candidate.system === system);
  return [...(result?.samplesMs ?? [])].sort((a, b) => a - b);
}

async function writeResults(run: BenchRun): Promise<void> {
  const latencies = summarizeLatencies(run);
  const metrics = run.results.filter((result) => result.kind === "metric");
  const targets = checkTargets(latencies, metrics);
  const notes = [
    "Every system runs on the same machine as the benchmark's client; Seatbelt's server runs in a process of its own. On a busy machine the absolute numbers are noisy, and the ratios within one run, taken in alternating rounds, are the better guide.",
    "tinyagent is tinyagent-py's BubblewrapProvider.execute_python, run for real: each call starts a new bubblewrap sandbox and Python, imports tinyagent there and loads and saves the variables with cloudpickle. Its litellm is set to its local price list, because the sandbox has no network.",
    ...describeShares(latencies),
  ];
  const groups = [...new Set(latencies.map((row) => row.workload))].map((workload) => ({
    workload,
    rows: latencies
      .filter((row) => row.workload === workload)
      .map((summary) => ({ summary, sorted: findSamples(run, workload, summary.system) })),
  }));

  const dir = run.quick ? QUICK_RESULTS_DIR : RESULTS_DIR;
  await mkdir(dir, { recursive: true });
  const json = { startedAt: run.startedAt, quick: run.quick, environment: run.environment, targets, latencies, metrics, skipped: run.skipped };
  await writeFile(join(dir, "results.json"), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(dir, "report.md"), renderMarkdown(run, latencies, targets, notes, explainUnmetTargets(targets, latencies, metrics)));
  await writeFile(join(dir, "latency.svg"), renderLatencyChart(groups));
  log(`wrote ${dir}report.md, results.json and latency.svg`);
}

await main();
