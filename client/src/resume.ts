import { Code, ConnectError } from "@connectrpc/connect";
import type { ExecuteResponse } from "./gen/seatbelt/v1/execution_pb.js";
import { toSeatbeltError } from "./errors.js";

/** How a broken event stream is resumed. */
export interface ResumeOptions {
  /** Attempts in a row without a new event before the error is thrown. @default 5 */
  readonly maxAttempts?: number;
  /** Wait before the first attempt; each further attempt waits once more. @default 200 */
  readonly retryDelayMs?: number;
}

/** @default 5 */
const DEFAULT_MAX_ATTEMPTS = 5;
/** @default 200 */
const DEFAULT_RETRY_DELAY_MS = 200;

/**
 * Codes of a stream that broke on the way, as opposed to a call that the
 * server rejected: connection loss shows up as Unavailable or, when the
 * HTTP/2 stream is reset, as Canceled, Internal or Unknown. Canceled by the
 * caller's own signal is not resumed.
 */
const RESUMABLE_CODES: ReadonlySet<Code> = new Set([Code.Unavailable, Code.Canceled, Code.Internal, Code.Unknown, Code.Aborted]);

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * Yields an execution's events from `open`, and when the stream breaks
 * before the result, reopens it with `resume` (StreamOutput) from the
 * sequence number after the last event seen, so that every event arrives
 * once and in order. A server restart forgets executions: resuming then
 * fails with NotFoundError. Errors are thrown as SeatbeltError subclasses.
 */
export async function* followWithResume(
  open: () => AsyncIterable<ExecuteResponse>,
  resume: (executionId: string, fromSeq: bigint) => AsyncIterable<ExecuteResponse>,
  signal: AbortSignal | undefined,
  options: ResumeOptions = {},
): AsyncGenerator<ExecuteResponse> {
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  let executionId = "";
  let lastSeq = 0n;
  let attempts = 0;
  let stream = open();

  for (;;) {
    try {
      for await (const response of stream) {
        // Events without a sequence number (seq 0, such as keepalives) are
        // never resent, so they pass without the duplicate check.
        if (response.seq !== 0n) {
          if (response.seq <= lastSeq) {
            continue;
          }
          lastSeq = response.seq;
        }
        executionId = response.executionId;
        attempts = 0;
        yield response;
        if (response.event.case === "result") {
          return;
        }
      }
      throw new ConnectError(`event stream of execution ${executionId || "(not started)"} ended before its result`, Code.Unavailable);
    } catch (error) {
      const code = ConnectError.from(error).code;
      if (signal?.aborted === true || executionId === "" || !RESUMABLE_CODES.has(code) || attempts >= maxAttempts) {
        throw toSeatbeltError(error);
      }
    }
    attempts += 1;
    await sleep(retryDelayMs * attempts, signal);
    stream = resume(executionId, lastSeq + 1n);
  }
}
