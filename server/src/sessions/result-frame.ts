import type { ExecutionResult } from "../gen/seatbelt/v1/execution_pb.js";
import type { Execution } from "./execution.js";
import { parseJson } from "./frame-payloads.js";
import { SupervisorReplySchema, buildExecutionResult } from "./result.js";

/** A RESULT frame read into an execution's result. */
export interface ReadResult {
  readonly result: ExecutionResult;
  /** True when the interpreter died during the execution and the sandbox started a new one. */
  readonly interpreterRestarted: boolean;
}

/**
 * Reads the payload of a RESULT frame for the execution that it names.
 * Returns undefined when the payload is not a valid reply, which comes from
 * inside the sandbox and so is untrusted.
 */
export function readResultFrame(payload: Buffer, execution: Execution, killGraceMs: number): ReadResult | undefined {
  const parsed = SupervisorReplySchema.safeParse(parseJson(payload));
  if (!parsed.success) {
    return undefined;
  }
  const result = buildExecutionResult(parsed.data, {
    stopReason: execution.stopReason,
    timeoutMs: execution.timeoutMs,
    killGraceMs,
  });
  return { result, interpreterRestarted: parsed.data.interpreterRestarted === true };
}
