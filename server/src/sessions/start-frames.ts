import { FrameType, encodeJsonFrame } from "../sandbox/frames.js";
import type { Execution } from "./execution.js";
import { encodeInputFrames } from "./stdin.js";

/**
 * Encodes the frames that start an execution in the sandbox: EXEC, then the
 * input held while it waited. Without input, stdin is /dev/null in the
 * sandbox, so the task requests no pipe and no input frames follow.
 * Takes the held input out of the execution's stdin state.
 */
export function encodeStartFrames(execution: Execution): Buffer[] {
  const stdin = execution.stdin;
  if (stdin.closed && stdin.heldBytes === 0) {
    return [encodeJsonFrame(FrameType.exec, execution.number, execution.task)];
  }
  return [
    encodeJsonFrame(FrameType.exec, execution.number, { ...execution.task, stdin: "pipe" }),
    ...encodeInputFrames(execution.number, stdin.takeHeld(), stdin.closed),
  ];
}
