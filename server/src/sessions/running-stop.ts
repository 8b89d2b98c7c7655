import type { Logger } from "pino";
import { FrameType, encodeJsonFrame } from "../sandbox/frames.js";
import type { Execution, StopReason } from "./execution.js";
import { describeStop } from "./result.js";
import type { LostSandboxOutcome } from "./sandbox-keeper.js";
import type { StopEscalation } from "./stop-escalation.js";

/** Services of the session that stopping a running execution uses. */
export interface RunningStopContext {
  /** Sends a frame to the current sandbox. */
  readonly send: (frame: Buffer) => void;
  readonly escalation: StopEscalation;
  readonly logger: Logger;
  /** Replaces a sandbox that did not carry out the kill, ending the execution with the outcome. */
  readonly replaceSandbox: (reason: string, outcome: LostSandboxOutcome) => void;
}

/**
 * Stops a running execution in steps: interrupts it (Python) or sends it
 * SIGTERM (shell), kills it when it is still running after the grace
 * period, and replaces the sandbox when the kill has no effect either.
 * The execution's result, when it comes, cancels the steps left.
 */
export function stopRunningExecution(execution: Execution, reason: StopReason, context: RunningStopContext): void {
  const action = execution.task.kind === "python" ? "interrupt" : "terminate";
  context.send(encodeJsonFrame(FrameType.signal, execution.number, { action }));
  const kill = () => {
    context.logger.warn({ executionId: execution.id, reason }, "execution ignored the interrupt; killing it");
    context.send(encodeJsonFrame(FrameType.signal, execution.number, { action: "kill" }));
  };
  // The kill is carried out inside the sandbox, which the session's code
  // may have stopped or broken. Without a result by the next grace period,
  // the server ends the execution and replaces the sandbox.
  const giveUp = () => {
    const stop = describeStop(reason, execution.timeoutMs);
    context.replaceSandbox("the sandbox did not carry out a kill", {
      status: stop.status,
      message: `${stop.message}; the sandbox did not respond, so it was replaced and the variables are lost`,
    });
  };
  context.escalation.start(kill, giveUp);
}
