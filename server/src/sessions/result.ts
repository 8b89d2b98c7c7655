import { create } from "@bufbuild/protobuf";
import { z } from "zod";
import { type ExecutionResult, ExecutionResultSchema, ExecutionStatus, SafetyRule } from "../gen/seatbelt/v1/execution_pb.js";
import type { StopReason } from "./execution.js";

/**
 * A result as the supervisor reports it. The supervisor runs inside the
 * sandbox, so its reply is validated like any other untrusted input.
 */
export const SupervisorReplySchema = z.object({
  status: z.enum(["ok", "error", "crashed", "rejected"]),
  exitCode: z.number().int().optional(),
  signal: z.number().int().optional(),
  error: z.object({ name: z.string(), value: z.string(), traceback: z.string() }).optional(),
  value: z.string().optional(),
  durationMs: z.number().nonnegative().optional(),
  interpreterRestarted: z.boolean().optional(),
  message: z.string().optional(),
  refusal: z
    .object({
      rule: z.enum(["import", "function", "introspection", "obfuscation"]),
      name: z.string().max(1024),
      line: z.number().int().nonnegative().max(0xffff_ffff),
      column: z.number().int().nonnegative().max(0xffff_ffff),
    })
    .optional(),
});

export type SupervisorReply = z.infer<typeof SupervisorReplySchema>;

const STATUS_BY_REPLY = {
  ok: ExecutionStatus.OK,
  error: ExecutionStatus.ERROR,
  crashed: ExecutionStatus.CRASHED,
  rejected: ExecutionStatus.REJECTED,
} as const;

const RULE_BY_REPLY = {
  import: SafetyRule.IMPORT,
  function: SafetyRule.FUNCTION,
  introspection: SafetyRule.INTROSPECTION,
  obfuscation: SafetyRule.OBFUSCATION,
} as const;

/** Returns the status and the explanation for an execution the server stopped. */
export function describeStop(reason: StopReason, timeoutMs: number): { status: ExecutionStatus; message: string } {
  switch (reason) {
    case "timeout":
      return { status: ExecutionStatus.TIMED_OUT, message: `timed out after ${timeoutMs} ms` };
    case "cancel":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled by CancelExecution" };
    case "disconnect":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled because the client went away" };
    case "deadline":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled because the client's deadline passed" };
    case "session-deleted":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled because the session was deleted" };
    case "restart":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled because the session was restarted" };
    case "idle":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled because the session reached its idle timeout" };
    case "lifetime":
      return { status: ExecutionStatus.CANCELLED, message: "cancelled because the session reached its maximum lifetime" };
    case "shutdown":
      return { status: ExecutionStatus.SHUTDOWN, message: "ended because the server is shutting down" };
  }
}

export interface ResultContext {
  readonly stopReason: StopReason | undefined;
  readonly timeoutMs: number;
  readonly killGraceMs: number;
}

/**
 * Builds the result event from the supervisor's reply. An execution that
 * the server stopped always reports the stop's status, also when the code
 * caught the KeyboardInterrupt and ended normally, or finished just as the
 * stop arrived.
 */
export function buildExecutionResult(reply: SupervisorReply, context: ResultContext): ExecutionResult {
  let status: ExecutionStatus = STATUS_BY_REPLY[reply.status];
  let message = reply.message ?? "";
  const restarted = reply.interpreterRestarted ?? false;

  if (context.stopReason !== undefined) {
    const stop = describeStop(context.stopReason, context.timeoutMs);
    status = stop.status;
    message = restarted
      ? `${stop.message}; the code did not stop within ${context.killGraceMs} ms of the interrupt, so the interpreter was killed and its variables are lost`
      : stop.message;
  }

  return create(ExecutionResultSchema, {
    status,
    exitCode: reply.exitCode,
    signal: reply.signal,
    error: reply.error,
    value: reply.value,
    durationMs: BigInt(Math.round(reply.durationMs ?? 0)),
    interpreterRestarted: restarted,
    message,
    refusal: reply.refusal === undefined ? undefined : { ...reply.refusal, rule: RULE_BY_REPLY[reply.refusal.rule] },
  });
}
