import { Writable } from "node:stream";
import { createClient } from "@connectrpc/connect";
import { pino } from "pino";
import { onTestFinished } from "vitest";
import { createSeatbeltClient, createTransport } from "../client/src/index.js";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../server/src/gen/grpc/health/v1/health_pb.js";
import { startServer } from "../server/src/server.js";
import { startTestServer } from "./support/fixtures.js";
import { describe, expect, test } from "./support/fixtures.js";

/** Creates a logger that keeps its JSON lines in memory. */
function createMemoryLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n").filter((text) => text !== "")) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { lines, logger: pino({ level: "info" }, sink) };
}

/** Fetches the Prometheus text and returns each series' value by its name and labels. */
async function readMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const series = text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const split = line.lastIndexOf(" ");
      return [line.slice(0, split), Number(line.slice(split + 1))] as const;
    });
  return new Map(series);
}

describe("operations", () => {
  test("every RPC logs one line with its ids", async () => {
    const { lines, logger } = createMemoryLogger();
    const server = await startServer({ port: 0 }, logger);
    onTestFinished(() => server.close());
    const client = createSeatbeltClient({ baseUrl: server.url });

    const session = await client.createSession();
    const outcome = await session.runPython("print('logged')");
    await session.close();
    await client.getSession("ses_missing").catch(() => {});

    const rpcs = lines.filter((line) => line.procedure !== undefined);
    expect(rpcs.map((line) => [line.procedure, line.code])).toEqual([
      ["seatbelt.v1.SessionService/CreateSession", "ok"],
      ["seatbelt.v1.ExecutionService/Execute", "ok"],
      ["seatbelt.v1.SessionService/DeleteSession", "ok"],
      ["seatbelt.v1.SessionService/GetSession", "not_found"],
    ]);
    expect(rpcs[0]!.sessionId).toBe(session.id);
    expect(rpcs[1]!.sessionId).toBe(session.id);
    expect(rpcs[1]!.executionId).toBe(outcome.executionId);
    expect(rpcs[1]!.messagesSent).toBe(3);
    expect(new Set(rpcs.map((line) => line.requestId)).size).toBe(4);
    expect(rpcs[3]!.message).toBe('session "ses_missing" not found; it may have been deleted');
    const sandboxStarted = lines.find((line) => line.msg === "sandbox started");
    expect(sandboxStarted?.sessionId).toBe(session.id);
  });

  test("metrics count sessions, executions and bytes", async () => {
    // Without the warm pool, the session's sandbox starts on CreateSession.
    const server = await startTestServer({ metricsPort: 0, warmPoolSize: 0 });
    onTestFinished(() => server.close());
    const client = createSeatbeltClient({ baseUrl: server.url });
    // Metrics are per process, and other tests of this file add to them.
    const before = await readMetrics(server.metrics!.url);

    const session = await client.createSession();
    await session.runPython("print('12345')");
    await session.runShell("echo abc >&2; exit 2");
    const during = await readMetrics(server.metrics!.url);
    await session.close();
    const after = await readMetrics(server.metrics!.url);
    const added = (series: string) => (during.get(series) ?? 0) - (before.get(series) ?? 0);

    expect(server.metrics!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(during.get("seatbelt_active_sessions")).toBe(1);
    expect(after.get("seatbelt_active_sessions")).toBe(0);
    expect(added('seatbelt_executions_total{kind="python",status="ok"}')).toBe(1);
    expect(added('seatbelt_executions_total{kind="shell",status="error"}')).toBe(1);
    expect(added('seatbelt_execution_duration_seconds_count{kind="python"}')).toBe(1);
    expect(added('seatbelt_sandbox_start_duration_seconds_count{outcome="ok"}')).toBe(1);
    expect(added('seatbelt_streamed_bytes_total{stream="stdout"}')).toBe(6);
    expect(added('seatbelt_streamed_bytes_total{stream="stderr"}')).toBe(4);
    expect(added('seatbelt_rpcs_total{procedure="seatbelt.v1.SessionService/CreateSession",code="ok"}')).toBe(1);
  });

  test("health Watch reports NOT_SERVING at shutdown", async () => {
    const server = await startTestServer();
    const health = createClient(Health, createTransport(server.url));

    const statuses: ServingStatus[] = [];
    const watching = (async () => {
      for await (const response of health.watch({ service: "seatbelt.v1.ExecutionService" })) {
        statuses.push(response.status);
        if (statuses.length === 1) {
          void server.close();
        }
      }
    })().catch(() => {});
    await watching;

    expect(statuses).toEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });

  test("health Check of the whole server is SERVING", async ({ server }) => {
    const health = createClient(Health, createTransport(server.url, "connect"));

    const response = await health.check({ service: "" });

    expect(response.status).toBe(ServingStatus.SERVING);
  });
});
