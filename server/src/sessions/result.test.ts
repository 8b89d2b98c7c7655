import { describe, expect, test } from "vitest";
import { ExecutionStatus } from "../gen/seatbelt/v1/execution_pb.js";
import type { StopReason } from "./execution.js";
import { type ResultContext, type SupervisorReply, SupervisorReplySchema, buildExecutionResult, describeStop } from "./result.js";

const NOT_STOPPED: ResultContext = { stopReason: undefined, timeoutMs: 5_000, killGraceMs: 2_000 };

function stoppedBy(stopReason: StopReason): ResultContext {
  return { ...NOT_STOPPED, stopReason };
}

const STOPS: ReadonlyArray<{ reason: StopReason; status: ExecutionStatus; message: string }> = [
  { reason: "timeout", status: ExecutionStatus.TIMED_OUT, message: "timed out after 5000 ms" },
  { reason: "cancel", status: ExecutionStatus.CANCELLED, message: "cancelled by CancelExecution" },
  { reason: "disconnect", status: ExecutionStatus.CANCELLED, message: "cancelled because the client went away" },
  { reason: "session-deleted", status: ExecutionStatus.CANCELLED, message: "cancelled because the session was deleted" },
  { reason: "deadline", status: ExecutionStatus.CANCELLED, message: "cancelled because the client's deadline passed" },
  { reason: "restart", status: ExecutionStatus.CANCELLED, message: "cancelled because the session was restarted" },
  { reason: "idle", status: ExecutionStatus.CANCELLED, message: "cancelled because the session reached its idle timeout" },
  { reason: "lifetime", status: ExecutionStatus.CANCELLED, message: "cancelled because the session reached its maximum lifetime" },
  { reason: "shutdown", status: ExecutionStatus.SHUTDOWN, message: "ended because the server is shutting down" },
];

describe("describeStop", () => {
  test.each(STOPS)("$reason gives its status", ({ reason, status, message }) => {
    expect(describeStop(reason, 5_000)).toEqual({ status, message });
  });
});

describe("buildExecutionResult", () => {
  test.each([
    { status: "ok", expected: ExecutionStatus.OK },
    { status: "error", expected: ExecutionStatus.ERROR },
    { status: "crashed", expected: ExecutionStatus.CRASHED },
  ] as const)("$status reply maps to status", ({ status, expected }) => {
    expect(buildExecutionResult({ status }, NOT_STOPPED).status).toBe(expected);
  });

  test("ok reply copies every field", () => {
    const reply: SupervisorReply = { status: "ok", value: "42", durationMs: 12.6, exitCode: 0 };

    const result = buildExecutionResult(reply, NOT_STOPPED);

    expect(result.status).toBe(ExecutionStatus.OK);
    expect(result.value).toBe("42");
    expect(result.exitCode).toBe(0);
    expect(result.signal).toBeUndefined();
    expect(result.error).toBeUndefined();
    expect(result.durationMs).toBe(13n);
    expect(result.interpreterRestarted).toBe(false);
    expect(result.message).toBe("");
  });

  test("error reply keeps Python error", () => {
    const error = { name: "ZeroDivisionError", value: "division by zero", traceback: "Traceback ...\nZeroDivisionError: division by zero\n" };

    const result = buildExecutionResult({ status: "error", error }, NOT_STOPPED);

    expect(result.status).toBe(ExecutionStatus.ERROR);
    expect(result.error?.name).toBe(error.name);
    expect(result.error?.value).toBe(error.value);
    expect(result.error?.traceback).toBe(error.traceback);
  });

  test("crashed reply keeps signal and message", () => {
    const reply: SupervisorReply = { status: "crashed", signal: 11, interpreterRestarted: true, message: "interpreter was killed by signal 11 (SIGSEGV)" };

    const result = buildExecutionResult(reply, NOT_STOPPED);

    expect(result.status).toBe(ExecutionStatus.CRASHED);
    expect(result.signal).toBe(11);
    expect(result.interpreterRestarted).toBe(true);
    expect(result.message).toBe("interpreter was killed by signal 11 (SIGSEGV)");
  });

  test("missing duration becomes zero", () => {
    expect(buildExecutionResult({ status: "ok" }, NOT_STOPPED).durationMs).toBe(0n);
  });

  test.each(STOPS.flatMap((stop) => (["error", "crashed"] as const).map((replyStatus) => ({ ...stop, replyStatus }))))(
    "$reason turns $replyStatus into its status",
    ({ reason, status, message, replyStatus }) => {
      const reply: SupervisorReply = { status: replyStatus, exitCode: 130, message: "interrupted" };

      const result = buildExecutionResult(reply, stoppedBy(reason));

      expect(result.status).toBe(status);
      expect(result.message).toBe(message);
      expect(result.exitCode).toBe(130);
      expect(result.interpreterRestarted).toBe(false);
    },
  );

  test.each(STOPS)("$reason overrides an ok reply", ({ reason, status, message }) => {
    const result = buildExecutionResult({ status: "ok", value: "1", message: "" }, stoppedBy(reason));

    expect(result.status).toBe(status);
    expect(result.message).toBe(message);
    expect(result.value).toBe("1");
  });

  test.each(["timeout", "cancel"] as const)("killed interpreter after %s loses variables", (reason) => {
    const reply: SupervisorReply = { status: "crashed", signal: 9, interpreterRestarted: true };

    const result = buildExecutionResult(reply, stoppedBy(reason));

    expect(result.interpreterRestarted).toBe(true);
    expect(result.message).toContain(describeStop(reason, NOT_STOPPED.timeoutMs).message);
    expect(result.message).toContain("did not stop within 2000 ms of the interrupt");
    expect(result.message).toContain("the interpreter was killed and its variables are lost");
  });

  test("timeout message uses context timeout", () => {
    const result = buildExecutionResult({ status: "error" }, { stopReason: "timeout", timeoutMs: 250, killGraceMs: 100 });

    expect(result.status).toBe(ExecutionStatus.TIMED_OUT);
    expect(result.message).toBe("timed out after 250 ms");
  });
});

describe("SupervisorReplySchema", () => {
  test.each([
    { name: "unknown status", reply: { status: "finished" } },
    { name: "negative duration", reply: { status: "ok", durationMs: -1 } },
    { name: "fractional exit code", reply: { status: "error", exitCode: 1.5 } },
    { name: "error without traceback", reply: { status: "error", error: { name: "E", value: "v" } } },
  ])("rejects $name", ({ reply }) => {
    expect(SupervisorReplySchema.safeParse(reply).success).toBe(false);
  });

  test("accepts a full reply", () => {
    const reply = {
      status: "error",
      exitCode: 1,
      error: { name: "ValueError", value: "bad", traceback: "Traceback" },
      durationMs: 3,
      interpreterRestarted: false,
      message: "",
    };

    expect(SupervisorReplySchema.parse(reply)).toEqual(reply);
  });
});
