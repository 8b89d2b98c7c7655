import { type Frame, FrameType } from "../sandbox/frames.js";
import { parseJson, readCount } from "./frame-payloads.js";
import type { StreamName } from "./output-cap.js";

const STREAM_NAMES = { [FrameType.stdout]: "stdout", [FrameType.stderr]: "stderr" } as const;

/** Handlers of a session, one for each type of frame that its sandbox sends. */
export interface FrameHandlers {
  /** READY: the interpreter runs; the version is empty when the payload lacks it. */
  readonly onReady: (pythonVersion: string) => void;
  readonly onOutput: (execution: number, stream: StreamName, payload: Buffer) => void;
  /** RESULT, with its payload still unparsed. */
  readonly onResult: (execution: number, payload: Buffer) => void;
  /** LATE_OUTPUT: bytes that the sandbox discarded because their execution had ended. */
  readonly onLateOutput: (bytes: number) => void;
  /** RESTARTED: the idle interpreter ended and the sandbox replaced it. */
  readonly onRestarted: () => void;
  /** A frame type that the sandbox must never send, which breaks the protocol. */
  readonly onUnknown: (type: number) => void;
}

/**
 * Routes one frame from a sandbox to its handler, reading the small JSON
 * payloads of READY and LATE_OUTPUT on the way. Payloads come from inside
 * the sandbox, so a malformed one reads as empty rather than throwing.
 */
export function dispatchFrame(frame: Frame, handlers: FrameHandlers): void {
  switch (frame.type) {
    case FrameType.ready: {
      const ready = parseJson(frame.payload) as { pythonVersion?: unknown } | undefined;
      handlers.onReady(typeof ready?.pythonVersion === "string" ? ready.pythonVersion : "");
      return;
    }
    case FrameType.stdout:
    case FrameType.stderr:
      handlers.onOutput(frame.execution, STREAM_NAMES[frame.type], frame.payload);
      return;
    case FrameType.result:
      handlers.onResult(frame.execution, frame.payload);
      return;
    case FrameType.lateOutput:
      handlers.onLateOutput(readCount(frame.payload, "bytes"));
      return;
    case FrameType.restarted:
      handlers.onRestarted();
      return;
    default:
      handlers.onUnknown(frame.type);
  }
}
