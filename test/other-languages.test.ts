import { rm } from "node:fs/promises";
import { onTestFinished } from "vitest";
import { execa } from "execa";
import { Code, ConnectError } from "@connectrpc/connect";
import { type ExecuteResponse, ExecutionStatusSchema, SessionStateSchema, collectOutcome } from "../client/src/index.js";
import { PYTHON, buildGoClient, generatePythonClient } from "./support/generated-clients.js";
import { REPO_ROOT, getToolsEnv } from "./support/tools.js";
import { describe, expect, test } from "./support/fixtures.js";

/**
 * What every client must see when it runs the stateful example, spelled
 * as the Python and Go clients print it: enum values by their proto names.
 */
const EXPECTED_SUMMARY = {
  first: { status: "EXECUTION_STATUS_OK", stdout_chunks: ["3.0 1.4142135623730951\n"] },
  second: { status: "EXECUTION_STATUS_OK", stdout: "13.0 1.4142135623730951\n" },
  shell: { status: "EXECUTION_STATUS_ERROR", exit_code: 2, stderr: "from-shell\n" },
  error: { status: "EXECUTION_STATUS_ERROR", error_name: "ZeroDivisionError" },
  cancel: { status: "EXECUTION_STATUS_CANCELLED", seen_before_cancel: "waiting\n" },
  after_cancel: { stdout: "[11, 12, 13, 14, 15]\n" },
  deleted_state: "SESSION_STATE_CLOSED",
  missing_session_code: "NOT_FOUND",
};

/** Generating and compiling a client takes a while on a cold cache. */
const BUILD_TIMEOUT_MS = 300_000;

function statusName(status: number): string {
  return ExecutionStatusSchema.values.find((value) => value.number === status)!.name;
}

async function* rememberExecutionId(events: AsyncIterable<ExecuteResponse>, onId: (id: string) => void): AsyncGenerator<ExecuteResponse> {
  for await (const event of events) {
    onId(event.executionId);
    yield event;
  }
}

describe("stateful example in every language", () => {
  test("TypeScript client sees the expected values", async ({ client }) => {
    const session = await client.createSession();
    const chunks: string[] = [];
    const first = await session.runPython("import numpy as np\ndata = [1, 2, 3, 4, 5]\nprint(np.mean(data), np.std(data))", { onStdout: (text) => chunks.push(text) });
    const second = await session.runPython("data = [v + 10 for v in data]\nprint(np.mean(data), np.std(data))");
    const shell = await session.runShell("echo from-shell >&2; exit 2");
    const error = await session.runPython("1 / 0");
    let executionId = "";
    let seenBeforeCancel = "";
    const events = rememberExecutionId(session.streamPython("import time\nprint('waiting', flush=True)\ntime.sleep(60)"), (id) => (executionId = id));
    const cancelled = await collectOutcome(events, {
      onStdout: (text) => {
        if (seenBeforeCancel === "") {
          seenBeforeCancel = text;
          void client.executions.cancelExecution({ executionId });
        }
      },
    });
    const afterCancel = await session.runPython("print(data)");
    const deleted = await client.sessions.deleteSession({ sessionId: session.id });
    const missing = await client.sessions.getSession({ sessionId: session.id }).then(
      () => "OK",
      (failure: unknown) => Code[ConnectError.from(failure).code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(),
    );

    expect({
      first: { status: statusName(first.status), stdout_chunks: chunks },
      second: { status: statusName(second.status), stdout: second.stdout },
      shell: { status: statusName(shell.status), exit_code: shell.exitCode, stderr: shell.stderr },
      error: { status: statusName(error.status), error_name: error.error?.name },
      cancel: { status: statusName(cancelled.status), seen_before_cancel: seenBeforeCancel },
      after_cancel: { stdout: afterCancel.stdout },
      deleted_state: SessionStateSchema.values.find((value) => value.number === deleted.session!.state)!.name,
      missing_session_code: missing,
    }).toEqual(EXPECTED_SUMMARY);
  });

  test("Python grpcio client sees the same values", { timeout: BUILD_TIMEOUT_MS }, async ({ server }) => {
    const generated = await generatePythonClient();
    onTestFinished(() => rm(generated, { recursive: true, force: true }));

    const run = await execa(PYTHON, ["test/clients/python/stateful_client.py", new URL(server.url).host], { cwd: REPO_ROOT, env: { ...getToolsEnv(), PYTHONPATH: generated }, reject: false });

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(EXPECTED_SUMMARY);
  });

  test("Go grpc client sees the same values", { timeout: BUILD_TIMEOUT_MS }, async ({ server }) => {
    const { dir, program } = await buildGoClient();
    onTestFinished(() => rm(dir, { recursive: true, force: true }));

    const run = await execa(program, [new URL(server.url).host], { reject: false });

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(EXPECTED_SUMMARY);
  });
});
