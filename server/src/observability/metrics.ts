import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Buckets of the execution duration histogram, in seconds: 5 ms to 10 minutes. */
const EXECUTION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600];
/** Buckets of the sandbox start histogram, in seconds: 10 ms to 10 seconds. */
const SANDBOX_START_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's Prometheus metrics, in a registry of their own. One instance
 * per process: any module records into it through the functions below, and
 * servers started in the same process add up.
 */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: "seatbelt_process_" });

const activeSessions = new Gauge({ name: "seatbelt_active_sessions", help: "Sessions whose sandbox is running or starting.", registers: [metricsRegistry] });
const executions = new Counter({ name: "seatbelt_executions_total", help: "Finished executions, by kind (python or shell) and status.", labelNames: ["kind", "status"], registers: [metricsRegistry] });
const executionDuration = new Histogram({
  name: "seatbelt_execution_duration_seconds",
  help: "Time from the start of an execution to its result, by kind.",
  labelNames: ["kind"],
  buckets: EXECUTION_BUCKETS_SECONDS,
  registers: [metricsRegistry],
});
const sandboxStartDuration = new Histogram({
  name: "seatbelt_sandbox_start_duration_seconds",
  help: "Time to start a sandbox until its interpreter is ready, by outcome (ok or failed).",
  labelNames: ["outcome"],
  buckets: SANDBOX_START_BUCKETS_SECONDS,
  registers: [metricsRegistry],
});
const streamedBytes = new Counter({ name: "seatbelt_streamed_bytes_total", help: "Output bytes sent to clients, by stream (stdout or stderr).", labelNames: ["stream"], registers: [metricsRegistry] });
const limitHits = new Counter({ name: "seatbelt_limit_hits_total", help: "Times a resource or server limit stopped or rejected work, by limit.", labelNames: ["limit"], registers: [metricsRegistry] });
const rpcs = new Counter({ name: "seatbelt_rpcs_total", help: "Finished RPCs, by procedure and status code.", labelNames: ["procedure", "code"], registers: [metricsRegistry] });

/** Counts a session whose sandbox started (+1) or ended (-1). */
export function recordSessionCount(change: 1 | -1): void {
  activeSessions.inc(change);
}

/** Records one finished execution; `status` is the ExecutionStatus name in lower case, such as "ok". */
export function recordExecution(kind: "python" | "shell", status: string, durationMs: number): void {
  executions.inc({ kind, status });
  executionDuration.observe({ kind }, durationMs / 1000);
}

/** Records one sandbox start, successful or not. */
export function recordSandboxStart(outcome: "ok" | "failed", durationMs: number): void {
  sandboxStartDuration.observe({ outcome }, durationMs / 1000);
}

/** Counts output bytes sent to a client. */
export function recordStreamedBytes(stream: "stdout" | "stderr", bytes: number): void {
  streamedBytes.inc({ stream }, bytes);
}

/** Counts one hit of a limit, named as in the Limits message (memory_bytes) or the server setting. */
export function recordLimitHit(limit: string): void {
  limitHits.inc({ limit });
}

/** Counts one finished RPC; `code` is "ok" or a Connect code name such as "not_found". */
export function recordRpc(procedure: string, code: string): void {
  rpcs.inc({ procedure, code });
}

/** A running metrics endpoint. */
export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves the metrics in the Prometheus text format at /metrics on a port of
 * its own, so that it can be exposed to a scraper and not to API clients.
 */
export async function startMetricsServer(host: string, port: number): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== "GET" || new URL(request.url ?? "/", "http://metrics").pathname !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are at GET /metrics\n");
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { "content-type": metricsRegistry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { "content-type": "text/plain" }).end(`failed to collect metrics: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${address.port}/metrics`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
