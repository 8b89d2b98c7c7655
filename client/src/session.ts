import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ExecuteRequestSchema, ExecuteResponse, ExecutionResult, PythonError } from "./gen/seatbelt/v1/execution_pb.js";
import { ExecutionStatus, OutputStream } from "./gen/seatbelt/v1/execution_pb.js";
import type { Session } from "./gen/seatbelt/v1/session_pb.js";
import type { CallOptions, SeatbeltClient } from "./client.js";
import { type ResumeOptions, followWithResume } from "./resume.js";
import { call } from "./call.js";

/** Options of one execution. */
export interface RunOptions {
  /**
   * Time the execution may run once it starts, enforced by the server; the
   * server's default when unset. Time in the session's queue is not counted.
   */
  readonly timeoutMs?: number;
  /** Aborting the signal cancels the execution on the server, unless detach is set. */
  readonly signal?: AbortSignal;
  /** Input for stdin; a string is sent as UTF-8. Without it stdin is at end of file. */
  readonly stdin?: string | Uint8Array;
  /** Keep stdin open after stdin, for sendInput. */
  readonly keepStdinOpen?: boolean;
  /** Keep the execution running when this call goes away; attach later with streamOutput. */
  readonly detach?: boolean;
  /** How a broken event stream is resumed with StreamOutput. */
  readonly resume?: ResumeOptions;
  /** Called with each stdout chunk as it arrives. */
  readonly onStdout?: (text: string, bytes: Uint8Array) => void;
  /** Called with each stderr chunk as it arrives. */
  readonly onStderr?: (text: string, bytes: Uint8Array) => void;
}

/** Options of a shell execution. */
export interface ShellOptions extends RunOptions {
  /** Working directory, absolute or relative to the workspace. */
  readonly workdir?: string;
}

/** Everything an execution produced, once it has ended. */
export interface ExecutionOutcome {
  readonly executionId: string;
  readonly status: ExecutionStatus;
  /** Stdout decoded as UTF-8; see stdoutBytes for the exact bytes. */
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
  readonly stderrBytes: Uint8Array;
  /** repr() of the Python code's final expression, when it had one. */
  readonly value: string | undefined;
  readonly error: PythonError | undefined;
  readonly exitCode: number | undefined;
  readonly result: ExecutionResult;
}

const encoder = new TextEncoder();

function chunkBytes(content: { case: "text"; value: string } | { case: "data"; value: Uint8Array } | { case: undefined; value?: undefined }): Uint8Array {
  if (content.case === "text") {
    return encoder.encode(content.value);
  }
  return content.case === "data" ? content.value : new Uint8Array();
}

function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    total.set(chunk, offset);
    offset += chunk.length;
  }
  return total;
}

/** Handle to one session on the server. */
export class SeatbeltSession {
  constructor(
    private readonly client: SeatbeltClient,
    /** The session as the server last described it. */
    public info: Session,
  ) {}

  get id(): string {
    return this.info.sessionId;
  }

  /** Runs Python code and yields its events as they arrive. */
  streamPython(code: string, options: RunOptions = {}): AsyncIterable<ExecuteResponse> {
    return this.stream({ case: "python", value: { code } }, options);
  }

  /** Runs a shell command (a string for /bin/sh -c, or an argv array) and yields its events. */
  streamShell(command: string | readonly string[], options: ShellOptions = {}): AsyncIterable<ExecuteResponse> {
    const shell = typeof command === "string" ? { command, workdir: options.workdir ?? "" } : { argv: [...command], workdir: options.workdir ?? "" };
    return this.stream({ case: "shell", value: shell }, options);
  }

  /** Runs Python code and resolves with its outcome once it has ended. */
  runPython(code: string, options: RunOptions = {}): Promise<ExecutionOutcome> {
    return collectOutcome(this.streamPython(code, options), options);
  }

  /** Runs a shell command and resolves with its outcome once it has ended. */
  runShell(command: string | readonly string[], options: ShellOptions = {}): Promise<ExecutionOutcome> {
    return collectOutcome(this.streamShell(command, options), options);
  }

  /** Fetches the session's current state. */
  async refresh(options: CallOptions = {}): Promise<Session> {
    const session = await this.client.getSessionInfo(this.id, options);
    this.info = session;
    return this.info;
  }

  /** Writes input to a running or queued execution's stdin and, when close is set, closes it. */
  async sendInput(executionId: string, data: string | Uint8Array, close = false, options: CallOptions = {}): Promise<void> {
    const request = { executionId, data: typeof data === "string" ? encoder.encode(data) : data, close };
    await call(() => this.client.executions.sendInput(request, options));
  }

  /** Gives the session a fresh sandbox and interpreter, optionally with an empty workspace. */
  async restart(clearWorkspace = false, options: CallOptions = {}): Promise<Session> {
    const { session } = await call(() => this.client.sessions.restartSession({ sessionId: this.id, clearWorkspace }, options));
    this.info = session!;
    return this.info;
  }

  /** Deletes the session: its processes end and its workspace is removed. */
  async close(options: CallOptions = {}): Promise<void> {
    await this.client.deleteSession(this.id, options);
  }

  // NOTE: unless detach is set, the server cancels an execution whose
  // Execute stream breaks, so a resumed stream ends with the CANCELLED
  // result. StreamOutput streams (client.streamOutput) break without that.
  private stream(task: MessageInitShape<typeof ExecuteRequestSchema>["task"], options: RunOptions): AsyncIterable<ExecuteResponse> {
    const streamOptions = options.signal === undefined ? {} : { signal: options.signal };
    const request = {
      sessionId: this.id,
      task,
      timeoutMs: BigInt(options.timeoutMs ?? 0),
      stdin: typeof options.stdin === "string" ? encoder.encode(options.stdin) : options.stdin,
      keepStdinOpen: options.keepStdinOpen ?? false,
      detach: options.detach ?? false,
    };
    return followWithResume(
      () => this.client.executions.execute(request, streamOptions),
      (executionId, fromSeq) => this.client.executions.streamOutput({ executionId, fromSeq }, streamOptions),
      options.signal,
      options.resume,
    );
  }
}

/** Drains an execution's events into an outcome, calling the output callbacks on the way. */
export async function collectOutcome(events: AsyncIterable<ExecuteResponse>, options: RunOptions = {}): Promise<ExecutionOutcome> {
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  const decoder = new TextDecoder();
  let executionId = "";
  let result: ExecutionResult | undefined;

  for await (const response of events) {
    executionId = response.executionId;
    const event = response.event;
    if (event.case === "output") {
      const bytes = chunkBytes(event.value.content);
      const text = event.value.content.case === "text" ? event.value.content.value : decoder.decode(bytes);
      if (event.value.stream === OutputStream.STDERR) {
        stderr.push(bytes);
        options.onStderr?.(text, bytes);
      } else {
        stdout.push(bytes);
        options.onStdout?.(text, bytes);
      }
    } else if (event.case === "result") {
      result = event.value;
    }
  }

  if (result === undefined) {
    throw new Error(`execution ${executionId || "(not started)"} ended without a result`);
  }
  const stdoutBytes = concatBytes(stdout);
  const stderrBytes = concatBytes(stderr);
  return {
    executionId,
    status: result.status,
    stdout: decoder.decode(stdoutBytes),
    stderr: decoder.decode(stderrBytes),
    stdoutBytes,
    stderrBytes,
    value: result.value,
    error: result.error,
    exitCode: result.exitCode,
    result,
  };
}
