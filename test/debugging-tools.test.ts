import { execa } from "execa";
import { README_ADDRESS, getToolsEnv, readReadmeExample } from "./support/tools.js";
import { describe, expect, test } from "./support/fixtures.js";

/** Runs a README block with bash against the test server. */
async function runExample(name: string, serverUrl: string) {
  const script = readReadmeExample(name).replaceAll(README_ADDRESS, new URL(serverUrl).host);
  return execa("bash", ["-euo", "pipefail", "-c", script], { env: getToolsEnv(), reject: false });
}

/** Splits grpcurl's output, a sequence of pretty-printed JSON objects, into values. */
function parseJsonSequence(text: string): unknown[] {
  return text
    .split(/\n(?=\{)/)
    .filter((part) => part.trim() !== "")
    .map((part) => JSON.parse(part) as unknown);
}

describe("grpcurl", () => {
  test("lists, describes and checks health", async ({ server }) => {
    const run = await runExample("grpcurl-list", server.url);

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.slice(0, 6)).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "seatbelt.v1.ExecutionService",
      "seatbelt.v1.ServerInfoService",
      "seatbelt.v1.SessionService",
    ]);
    expect(run.stdout).toContain("rpc Execute ( .seatbelt.v1.ExecuteRequest ) returns ( stream .seatbelt.v1.ExecuteResponse );");
    expect(run.stdout).toContain('"status": "SERVING"');
  });

  test("creates a session and streams Execute", async ({ server }) => {
    const run = await runExample("grpcurl-execute", server.url);

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const events = parseJsonSequence(run.stdout) as Array<Record<string, any>>;
    const python = events.slice(0, 3);
    expect(python[0]!.started.sessionId).toMatch(/^ses_/);
    expect(python[1]!.output).toEqual({ stream: "OUTPUT_STREAM_STDOUT", text: "3.0 1.4142135623730951\n" });
    expect(python[2]!.result.status).toBe("EXECUTION_STATUS_OK");
    const shell = events.slice(3, 6);
    expect(shell[1]!.output).toEqual({ stream: "OUTPUT_STREAM_STDERR", text: "from-shell\n" });
    expect(shell[2]!.result.status).toBe("EXECUTION_STATUS_ERROR");
    expect(shell[2]!.result.exitCode).toBe(2);
    expect(events[6]!.session.state).toBe("SESSION_STATE_CLOSED");
    expect(server.registry.list()).toEqual([]);
  });

  test("reflection v1alpha answers older clients", async ({ server }) => {
    const run = await execa("grpcurl", ["-plaintext", "-use-reflection", "-max-time", "10", new URL(server.url).host, "describe", "seatbelt.v1.OutputChunk"], {
      env: getToolsEnv(),
      reject: false,
    });

    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("seatbelt.v1.OutputChunk is a message:");
    expect(run.stdout).toContain("bytes data = 3;");
  });

  test("health check of an unknown service is NOT_FOUND", async ({ server }) => {
    const run = await execa("grpcurl", ["-plaintext", "-d", '{"service": "no.such.Service"}', new URL(server.url).host, "grpc.health.v1.Health/Check"], {
      env: getToolsEnv(),
      reject: false,
    });

    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toContain("Code: NotFound");
    expect(run.stderr).toContain('service "no.such.Service" is not served here');
  });
});

describe("curl", () => {
  test("calls unary RPCs over HTTP/1.1 with JSON", async ({ server }) => {
    const run = await runExample("curl", server.url);

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    const [info, list, deleted] = run.stdout.split("\n").map((line) => JSON.parse(line) as Record<string, any>);
    expect(info!.defaultPython).toBe("/usr/bin/python3");
    expect(info!.backends[0].name).toBe("bubblewrap");
    expect(list!.sessions).toHaveLength(1);
    expect(list!.sessions[0].sessionId).toMatch(/^ses_/);
    expect(deleted!.session.sessionId).toBe(list!.sessions[0].sessionId);
    expect(deleted!.session.state).toBe("SESSION_STATE_CLOSED");
  });

  test("Connect error is JSON with a code", async ({ server }) => {
    const run = await execa("curl", ["-sS", "-H", "content-type: application/json", "-d", '{"sessionId": "ses_missing"}', `${server.url}/seatbelt.v1.SessionService/GetSession`], { reject: false });

    expect(JSON.parse(run.stdout)).toEqual({ code: "not_found", message: 'session "ses_missing" not found; it may have been deleted' });
  });
});
