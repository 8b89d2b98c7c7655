import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { ExecutionResultSchema, ExecutionStatus, OutputStream, type SafetyRefusalSchema } from "../gen/seatbelt/v1/execution_pb.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import { Utf8Chunker } from "../output/utf8-chunker.js";
import type { BubblewrapBackend } from "../sandbox/bubblewrap/backend.js";
import { type Frame, FrameType, encodeJsonFrame } from "../sandbox/frames.js";
import type { SandboxExit, SandboxProcess } from "../sandbox/sandbox-process.js";
import { Execution, type StopReason, type Task } from "./execution.js";
import { type SessionId, createExecutionId } from "./ids.js";
import { SupervisorReplySchema, buildExecutionResult, describeStop } from "./result.js";
import type { SafetyOptions } from "../safety/options.js";
import { checkShellTask } from "../safety/shell-check.js";

/** Services and settings that a session takes from the server. */
export interface SessionContext {
  readonly backend: BubblewrapBackend;
  readonly logger: Logger;
  readonly killGraceMs: number;
  readonly startTimeoutMs: number;
}

/** Settings of one session, as the caller chose them. */
export interface SessionOptions {
  readonly id: SessionId;
  readonly workspaceDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly profileName: string;
  /** Code and shell checks; shell tasks are checked here, Python cells in the sandbox. */
  readonly safety: SafetyOptions;
}

/** Sandbox replacements allowed within RESTART_WINDOW_MS before the session fails. @default 5 */
const MAX_RESTARTS_PER_WINDOW = 5;
/** @default 60000 */
const RESTART_WINDOW_MS = 60_000;
/** Largest count accepted from one LATE_OUTPUT frame, which is far above a real one. */
const MAX_LATE_BYTES_PER_FRAME = 2 ** 32;

const OUTPUT_STREAMS = {
  [FrameType.stdout]: OutputStream.STDOUT,
  [FrameType.stderr]: OutputStream.STDERR,
} as const;

/**
 * One session: its sandbox, its queue of executions, and its counters.
 * Executions run one at a time, in the order they were submitted.
 */
export class Session {
  readonly createdAt = new Date();
  state: SessionState = SessionState.STARTING;
  executionCount = 0;
  interpreterRestarts = 0;
  lateOutputBytes = 0;
  pythonVersion = "";

  private sandbox!: SandboxProcess;
  private readonly logger: Logger;
  private readonly queue: Execution[] = [];
  private running: Execution | undefined;
  private nextNumber = 1;
  private chunkers = { [FrameType.stdout]: new Utf8Chunker(), [FrameType.stderr]: new Utf8Chunker() };
  private timeoutTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  private recentRestarts: number[] = [];
  private markReady: () => void = () => {};
  private failStart: (error: Error) => void = () => {};

  private constructor(
    readonly options: SessionOptions,
    private readonly context: SessionContext,
  ) {
    this.logger = context.logger.child({ sessionId: options.id });
  }

  /**
   * Starts a session's sandbox and resolves once its interpreter is ready.
   * @throws Error with bubblewrap's own message when the sandbox does not start.
   */
  static async start(options: SessionOptions, context: SessionContext): Promise<Session> {
    const session = new Session(options, context);
    await session.launchSandbox();
    return session;
  }

  /**
   * Starts a sandbox on the session's workspace and waits for its READY frame.
   * A sandbox that does not get ready in time is killed.
   */
  private async launchSandbox(): Promise<void> {
    this.state = SessionState.STARTING;
    const ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failStart = reject;
    });
    // Frames and the exit of a sandbox that has been replaced are ignored.
    const sandbox: SandboxProcess = this.context.backend.start({
      workspaceDir: this.options.workspaceDir,
      sessionEnv: this.options.env,
      pythonSafety: this.options.safety.python,
      onFrame: (frame) => sandbox === this.sandbox && this.handleFrame(frame),
      onExit: (exit) => sandbox === this.sandbox && this.handleSandboxExit(exit),
    });
    this.sandbox = sandbox;

    const startTimeoutMs = this.context.startTimeoutMs;
    const timer = setTimeout(() => this.failStart(new Error(`sandbox did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    try {
      await ready;
    } catch (error) {
      await this.sandbox.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    if (this.state === SessionState.STARTING) {
      this.state = SessionState.IDLE;
    }
    this.logger.info({ pid: this.sandbox.pid, python: this.pythonVersion }, "sandbox started");
    this.startNext();
  }

  get id(): SessionId {
    return this.options.id;
  }

  /** Process id of the session's bubblewrap process on the host. */
  get sandboxPid(): number | undefined {
    return this.sandbox.pid;
  }

  /** Queues a task and returns its execution, which starts when the ones before it end. */
  submit(task: Task, timeoutMs: number): Execution {
    const execution = new Execution(createExecutionId(), this.id, this.nextNumber++, task, timeoutMs);
    execution.emit({
      case: "started",
      value: { sessionId: this.id, acceptedAt: timestampFromDate(new Date()), queuePosition: this.queue.length + (this.running ? 1 : 0) },
    });
    const refusal = this.options.safety.shell === undefined ? undefined : checkShellTask(task, this.options.safety.shell);
    if (refusal !== undefined) {
      const { rule, name, line, column } = refusal;
      this.executionCount++;
      this.emitServerResult(execution, { status: ExecutionStatus.REJECTED, message: `rejected by the safety settings: ${refusal.message}`, refusal: { rule, name, line, column } });
      return execution;
    }
    this.queue.push(execution);
    this.startNext();
    return execution;
  }

  /**
   * Stops a queued or running execution: a queued one ends at once, a running
   * one is interrupted (Python) or sent SIGTERM (shell), then killed if it
   * is still running after the grace period. Returns false when the
   * execution had already finished.
   */
  stop(execution: Execution, reason: StopReason): boolean {
    if (execution.phase === "finished") {
      return false;
    }
    if (execution.phase === "queued") {
      this.queue.splice(this.queue.indexOf(execution), 1);
      execution.stopReason = reason;
      this.emitServerResult(execution, describeStop(reason, execution.timeoutMs));
      return true;
    }
    if (execution.stopReason !== undefined) {
      return true;
    }

    execution.stopReason = reason;
    const action = execution.task.kind === "python" ? "interrupt" : "terminate";
    this.sandbox.send(encodeJsonFrame(FrameType.signal, execution.number, { action }));
    this.graceTimer = setTimeout(() => {
      this.logger.warn({ executionId: execution.id, reason }, "execution ignored the interrupt; killing it");
      this.sandbox.send(encodeJsonFrame(FrameType.signal, execution.number, { action: "kill" }));
      // The kill is carried out inside the sandbox, which the session's code
      // may have stopped or broken. Without a result by the next grace
      // period, the server ends the execution and replaces the sandbox.
      this.graceTimer = setTimeout(() => {
        const stop = describeStop(reason, execution.timeoutMs);
        this.replaceSandbox("the sandbox did not carry out a kill", {
          status: stop.status,
          message: `${stop.message}; the sandbox did not respond, so it was replaced and the variables are lost`,
        });
      }, this.context.killGraceMs);
    }, this.context.killGraceMs);
    return true;
  }

  /**
   * Ends every execution of the session and kills its sandbox, which ends
   * every process in it, and waits for the sandbox to exit.
   */
  async close(reason: StopReason): Promise<void> {
    if (this.state === SessionState.CLOSED) {
      await this.sandbox.exited;
      return;
    }
    this.state = SessionState.CLOSED;
    for (const execution of [...this.queue]) {
      this.stop(execution, reason);
    }
    if (this.running) {
      this.running.stopReason = reason;
      this.emitServerResult(this.running, describeStop(reason, this.running.timeoutMs));
      this.finishRunning();
    }
    await this.sandbox.kill();
    this.logger.info({ reason }, "sandbox closed");
  }

  private startNext(): void {
    if (this.running !== undefined || this.state !== SessionState.IDLE) {
      return;
    }
    const execution = this.queue.shift();
    if (execution === undefined) {
      return;
    }

    this.running = execution;
    execution.phase = "running";
    this.state = SessionState.BUSY;
    this.chunkers = { [FrameType.stdout]: new Utf8Chunker(), [FrameType.stderr]: new Utf8Chunker() };
    this.timeoutTimer = setTimeout(() => this.stop(execution, "timeout"), execution.timeoutMs);
    this.sandbox.send(encodeJsonFrame(FrameType.exec, execution.number, execution.task));
  }

  private finishRunning(): void {
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.graceTimer);
    this.running = undefined;
    this.executionCount++;
    if (this.state === SessionState.BUSY) {
      this.state = SessionState.IDLE;
    }
    this.startNext();
  }

  private emitServerResult(
    execution: Execution,
    outcome: { status: ExecutionStatus; message: string; interpreterRestarted?: boolean; refusal?: MessageInitShape<typeof SafetyRefusalSchema> },
  ): void {
    execution.emit({ case: "result", value: create(ExecutionResultSchema, outcome) });
  }

  private handleFrame(frame: Frame): void {
    switch (frame.type) {
      case FrameType.ready:
        this.handleReady(frame);
        return;
      case FrameType.stdout:
      case FrameType.stderr:
        this.handleOutput(frame, frame.type);
        return;
      case FrameType.result:
        this.handleResult(frame);
        return;
      case FrameType.lateOutput:
        this.lateOutputBytes = Math.min(Number.MAX_SAFE_INTEGER, this.lateOutputBytes + readCount(frame.payload, "bytes"));
        return;
      case FrameType.restarted:
        this.countInterpreterRestart();
        return;
      default:
        this.replaceSandbox(`the sandbox sent a frame of unknown type ${frame.type}`, {
          status: ExecutionStatus.CRASHED,
          message: "the sandbox broke the frame protocol, so it was replaced and the variables are lost",
        });
    }
  }

  private handleReady(frame: Frame): void {
    const ready = parseJson(frame.payload) as { pythonVersion?: unknown } | undefined;
    this.pythonVersion = typeof ready?.pythonVersion === "string" ? ready.pythonVersion : "";
    this.markReady();
  }

  private handleOutput(frame: Frame, type: typeof FrameType.stdout | typeof FrameType.stderr): void {
    const execution = this.running;
    if (execution === undefined || execution.number !== frame.execution) {
      return;
    }
    for (const piece of this.chunkers[type].push(frame.payload)) {
      const content = piece.kind === "text" ? { case: "text" as const, value: piece.text } : { case: "data" as const, value: piece.data };
      execution.emit({ case: "output", value: { stream: OUTPUT_STREAMS[type], content } });
    }
  }

  private flushOutput(execution: Execution): void {
    for (const type of [FrameType.stdout, FrameType.stderr] as const) {
      for (const piece of this.chunkers[type].end()) {
        if (piece.kind === "data") {
          execution.emit({ case: "output", value: { stream: OUTPUT_STREAMS[type], content: { case: "data", value: piece.data } } });
        }
      }
    }
  }

  private handleResult(frame: Frame): void {
    const execution = this.running;
    if (execution === undefined || execution.number !== frame.execution) {
      return;
    }
    const parsed = SupervisorReplySchema.safeParse(parseJson(frame.payload));
    this.flushOutput(execution);
    if (!parsed.success) {
      this.logger.error({ executionId: execution.id }, "sandbox sent a malformed result");
      this.emitServerResult(execution, { status: ExecutionStatus.CRASHED, message: "the sandbox sent a malformed result" });
    } else {
      if (parsed.data.interpreterRestarted) {
        this.countInterpreterRestart();
      }
      const result = buildExecutionResult(parsed.data, {
        stopReason: execution.stopReason,
        timeoutMs: execution.timeoutMs,
        killGraceMs: this.context.killGraceMs,
      });
      execution.emit({ case: "result", value: result });
    }
    this.finishRunning();
  }

  private handleSandboxExit(exit: SandboxExit): void {
    if (this.state === SessionState.STARTING || this.state === SessionState.CLOSED) {
      // Settles a start that is still waiting; a no-op once it has settled.
      this.failStart(new Error(exit.diagnostics || `sandbox exited with status ${exit.exitCode ?? exit.signal}`));
      return;
    }

    // Code in the sandbox can end the sandbox itself (by killing its
    // supervisor, say). The session replaces it on the same workspace, like
    // any interpreter crash, and queued executions run in the new one.
    this.logger.error({ exitCode: exit.exitCode, signal: exit.signal, diagnostics: exit.diagnostics }, "sandbox exited unexpectedly");
    const detail = exit.diagnostics ? ` (${exit.diagnostics})` : "";
    this.endRunningExecution({
      status: ExecutionStatus.CRASHED,
      message: `the sandbox exited unexpectedly${detail}; it is being replaced and the variables are lost`,
    });
    this.relaunchSandbox();
  }

  /**
   * Kills a sandbox that misbehaves, ends the running execution with the
   * given outcome, and starts a new sandbox on the same workspace.
   */
  private replaceSandbox(reason: string, outcome: { status: ExecutionStatus; message: string }): void {
    if (this.state === SessionState.CLOSED || this.state === SessionState.FAILED) {
      return;
    }
    this.logger.error({ reason }, "replacing the sandbox");
    this.endRunningExecution(outcome);
    const old = this.sandbox;
    void old.kill().then(() => {
      if (this.sandbox === old) {
        this.relaunchSandbox();
      }
    });
  }

  /** Ends the running execution from the server's side and pauses the queue until a sandbox is ready. */
  private endRunningExecution(outcome: { status: ExecutionStatus; message: string }): void {
    this.state = SessionState.STARTING;
    this.countInterpreterRestart();
    const execution = this.running;
    if (execution !== undefined) {
      this.flushOutput(execution);
      this.emitServerResult(execution, { ...outcome, interpreterRestarted: true });
      this.finishRunning();
    }
  }

  private relaunchSandbox(): void {
    const now = Date.now();
    this.recentRestarts = [...this.recentRestarts.filter((time) => now - time < RESTART_WINDOW_MS), now];
    if (this.recentRestarts.length > MAX_RESTARTS_PER_WINDOW) {
      this.failSession(new Error(`the sandbox ended ${this.recentRestarts.length} times within ${RESTART_WINDOW_MS} ms`));
      return;
    }
    this.launchSandbox().catch((error: unknown) => this.failSession(error as Error));
  }

  private countInterpreterRestart(): void {
    this.interpreterRestarts = Math.min(0xffff_ffff, this.interpreterRestarts + 1);
  }

  /** Marks the session unusable after its sandbox could not be replaced. */
  private failSession(error: Error): void {
    if (this.state === SessionState.CLOSED) {
      return;
    }
    this.state = SessionState.FAILED;
    this.logger.error({ err: error }, "sandbox could not be restarted");
    void this.sandbox.kill();
    for (const execution of this.queue.splice(0)) {
      this.emitServerResult(execution, { status: ExecutionStatus.CRASHED, message: `the session's sandbox could not be restarted: ${error.message}; delete the session` });
    }
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    return undefined;
  }
}

function readCount(payload: Buffer, field: string): number {
  const value = (parseJson(payload) as Record<string, unknown> | undefined)?.[field];
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? Math.min(value, MAX_LATE_BYTES_PER_FRAME) : 0;
}
