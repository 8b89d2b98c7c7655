import { type ExecutionResult, OutputStream } from "../gen/seatbelt/v1/execution_pb.js";
import { type OutputPiece, Utf8Chunker } from "../output/utf8-chunker.js";
import type { Execution } from "./execution.js";
import { OutputCap, type StreamName } from "./output-cap.js";

const OUTPUT_STREAMS = { stdout: OutputStream.STDOUT, stderr: OutputStream.STDERR } as const;

/** Output bytes that the cap dropped from one execution. */
export interface DroppedOutput {
  readonly bytes: number;
  /** Explanation for the result's message; empty when nothing was dropped. */
  readonly message: string;
}

/**
 * Turns the output frames of the running execution into output events: cut
 * on UTF-8 boundaries, and capped, with the head delivered live and the tail
 * at the end.
 */
export class OutputRelay {
  private readonly chunkers = { stdout: new Utf8Chunker(), stderr: new Utf8Chunker() };
  private readonly cap: OutputCap;

  constructor(private capBytes: number) {
    this.cap = new OutputCap(capBytes);
  }

  /** Starts on a new execution, whose output the cap counts afresh. */
  reset(): void {
    this.chunkers.stdout.end();
    this.chunkers.stderr.end();
    this.cap.reset(this.capBytes);
  }

  /** Emits the part of a frame's bytes that the cap lets through now. */
  push(execution: Execution, stream: StreamName, payload: Buffer): void {
    const now = this.cap.push(stream, payload);
    if (now.length > 0) {
      emitPieces(execution, stream, this.chunkers[stream].push(now));
    }
  }

  /**
   * Emits what is held back: bytes of an incomplete character, then, when
   * the cap dropped output, a truncation event and the tail. Called before
   * the result, however the execution ended.
   */
  finish(execution: Execution): DroppedOutput {
    for (const stream of ["stdout", "stderr"] as const) {
      emitPieces(execution, stream, this.chunkers[stream].end());
    }
    const summary = this.cap.finish();
    const bytes = summary.droppedStdoutBytes + summary.droppedStderrBytes;
    if (bytes === 0) {
      return { bytes: 0, message: "" };
    }
    execution.emit({
      case: "outputTruncated",
      value: { stdoutBytes: BigInt(summary.droppedStdoutBytes), stderrBytes: BigInt(summary.droppedStderrBytes) },
    });
    for (const piece of summary.tail) {
      emitPieces(execution, piece.stream, this.chunkers[piece.stream].push(piece.data));
    }
    for (const stream of ["stdout", "stderr"] as const) {
      emitPieces(execution, stream, this.chunkers[stream].end());
    }
    return {
      bytes,
      message: `output exceeded the cap of ${this.capBytes} bytes: the first ${this.cap.headBytes} and the last ${this.cap.tailBytes} bytes were kept and the ${bytes} bytes between them dropped (${summary.droppedStdoutBytes} of stdout, ${summary.droppedStderrBytes} of stderr)`,
    };
  }

  /** Emits what is held back, as finish does, and adds what the cap dropped to the result. */
  finishInto(execution: Execution, result: ExecutionResult): void {
    const dropped = this.finish(execution);
    if (dropped.bytes > 0) {
      result.outputDroppedBytes = BigInt(dropped.bytes);
      result.message = result.message === "" ? dropped.message : `${result.message}; ${dropped.message}`;
    }
  }
}

function emitPieces(execution: Execution, stream: StreamName, pieces: readonly OutputPiece[]): void {
  for (const piece of pieces) {
    const content = piece.kind === "text" ? { case: "text" as const, value: piece.text } : { case: "data" as const, value: piece.data };
    execution.emit({ case: "output", value: { stream: OUTPUT_STREAMS[stream], content } });
  }
}
