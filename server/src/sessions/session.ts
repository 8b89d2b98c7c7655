import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { type ExecutionResult, ExecutionResultSchema, ExecutionStatus, type Resource, type SafetyRefusalSchema } from "../gen/seatbelt/v1/execution_pb.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import type { BubblewrapBackend } from "../sandbox/bubblewrap/backend.js";
import { type Frame, FrameType, encodeJsonFrame } from "../sandbox/frames.js";
import type { SandboxExit, SandboxProcess } from "../sandbox/sandbox-process.js";
import { Execution, type StopReason, type Task } from "./execution.js";
import { SessionNotReadyError } from "./errors.js";
import { parseJson, readCount } from "./frame-payloads.js";
import { type SessionId, createExecutionId } from "./ids.js";
import { LimitWatch } from "./limit-watch.js";
import { OutputRelay } from "./output-relay.js";
import { RestartWindow } from "./restart-window.js";
import { SupervisorReplySchema, buildExecutionResult, describeStop } from "./result.js";
import type { SessionContext, SessionOptions, SubmitOptions } from "./session-options.js";
import { StopEscalation } from "./stop-escalation.js";
import { StdinState, encodeInputFrames, splitForFrames } from "./stdin.js";
import { clearWorkspace } from "./workspace.js";
import { checkShellTask } from "../safety/shell-check.js";

export type { SessionContext, SessionOptions, SubmitOptions } from "./session-options.js";

const STREAM_NAMES = { [FrameType.stdout]: "stdout", [FrameType.stderr]: "stderr" } as const;

/** Callbacks that receive a sandbox's frames and its exit. */
export interface SandboxHandlers {
  readonly onFrame: (frame: Frame) => void;
  readonly onExit: (exit: SandboxExit) => void;
}

/** A sandbox that has already sent READY, such as one from the warm pool. */
export interface StartedSandbox {
  readonly sandbox: SandboxProcess;
  readonly pythonVersion: string;
  /** Routes the sandbox's frames and exit to a session from now on. */
  attach(handlers: SandboxHandlers): void;
}

/**
 * Starts the sandbox of a session with these options. Sessions and the
 * warm pool both start sandboxes here, so a pooled sandbox is launched
 * exactly like the one that a session with the same options would start.
 */
export function startSessionSandbox(
  backend: BubblewrapBackend,
  options: Pick<SessionOptions, "workspaceDir" | "prepared" | "env" | "safety" | "confinement">,
  handlers: SandboxHandlers,
): SandboxProcess {
  return backend.start({
    workspaceDir: options.workspaceDir,
    prepared: options.prepared,
    sessionEnv: options.env,
    pythonSafety: options.safety.python,
    confinement: options.confinement,
    onFrame: handlers.onFrame,
    onExit: handlers.onExit,
  });
}

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
  sessionRestarts = 0;
  /** Time of the last execution's end, or of the creation, in ms since the epoch. */
  lastActiveAt = Date.now();
  /** True when the session's first sandbox came from the warm pool. */
  fromWarmPool = false;

  private sandbox!: SandboxProcess;
  private readonly logger: Logger;
  private readonly queue: Execution[] = [];
  private running: Execution | undefined;
  private nextNumber = 1;
  private readonly output: OutputRelay;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly escalation: StopEscalation;
  private readonly restarts = new RestartWindow();
  private markReady: () => void = () => {};
  private failStart: (error: Error) => void = () => {};
  private readonly limitWatch: LimitWatch | undefined;

  private constructor(
    readonly options: SessionOptions,
    private readonly context: SessionContext,
  ) {
    this.logger = context.logger.child({ sessionId: options.id });
    this.output = new OutputRelay(options.outputBytes);
    this.escalation = new StopEscalation(context.killGraceMs);
    const confinement = options.confinement;
    this.limitWatch = confinement === undefined ? undefined : new LimitWatch(confinement, (forkFailures) => this.killEveryProcess(forkFailures));
  }

  /**
   * Starts a session's sandbox and resolves once its interpreter is ready.
   * A sandbox that was started ahead is adopted instead; later replacements
   * are launched as usual.
   * @throws Error with bubblewrap's own message when the sandbox does not start.
   */
  static async start(options: SessionOptions, context: SessionContext, started?: StartedSandbox): Promise<Session> {
    const session = new Session(options, context);
    if (started === undefined) {
      await session.launchSandbox();
    } else {
      session.adoptSandbox(started);
    }
    session.limitWatch?.start();
    return session;
  }

  private adoptSandbox(started: StartedSandbox): void {
    const sandbox = started.sandbox;
    this.sandbox = sandbox;
    this.pythonVersion = started.pythonVersion;
    this.fromWarmPool = true;
    started.attach({
      onFrame: (frame) => sandbox === this.sandbox && this.handleFrame(frame),
      onExit: (exit) => sandbox === this.sandbox && this.handleSandboxExit(exit),
    });
    this.state = SessionState.IDLE;
    this.logger.info({ pid: sandbox.pid, python: this.pythonVersion }, "sandbox taken from the warm pool");
  }

  /**
   * Starts a sandbox on the session's workspace and waits for its READY frame.
   * A sandbox that does not get ready in time is killed.
   */
  private async launchSandbox(): Promise<void> {
    // Each sandbox is planned from the host as it is now, so that paths the
    // profile denies and that appeared since the last start are masked.
    const prepared = await this.context.backend.replan(this.options.workspaceDir, this.options.prepared);
    // A sandbox started after close() would outlive its session.
    if (this.state === SessionState.CLOSED) {
      throw new Error(`session ${this.id} was deleted before its new sandbox started`);
    }
    this.state = SessionState.STARTING;
    const ready = new Promise<void>((resolve, reject) => {
      this.markReady = resolve;
      this.failStart = reject;
    });
    // Frames and the exit of a sandbox that has been replaced are ignored.
    const sandbox: SandboxProcess = startSessionSandbox(this.context.backend, { ...this.options, prepared }, {
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

  /** Time at which the session reaches its maximum lifetime. */
  get expiresAt(): Date {
    return new Date(this.createdAt.getTime() + this.context.sessionMaxLifetimeMs);
  }

  /** Executions waiting behind the running one. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /** True while an execution runs or waits. */
  get busy(): boolean {
    return this.running !== undefined || this.queue.length > 0;
  }

  /** Queues a task and returns its execution, which starts when the ones before it end. */
  submit(task: Task, options: SubmitOptions): Execution {
    const execution = new Execution(createExecutionId(), this.id, this.nextNumber++, task, {
      timeoutMs: options.timeoutMs,
      retainedEventBytes: this.context.retainedEventBytes,
      stdin: new StdinState(options.stdin, options.keepStdinOpen),
    });
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
      this.endExecution(execution, create(ExecutionResultSchema, describeStop(reason, execution.timeoutMs)));
      return true;
    }
    if (execution.stopReason !== undefined) {
      return true;
    }

    execution.stopReason = reason;
    const action = execution.task.kind === "python" ? "interrupt" : "terminate";
    this.sandbox.send(encodeJsonFrame(FrameType.signal, execution.number, { action }));
    const kill = () => {
      this.logger.warn({ executionId: execution.id, reason }, "execution ignored the interrupt; killing it");
      this.sandbox.send(encodeJsonFrame(FrameType.signal, execution.number, { action: "kill" }));
    };
    // The kill is carried out inside the sandbox, which the session's code
    // may have stopped or broken. Without a result by the next grace period,
    // the server ends the execution and replaces the sandbox.
    const giveUp = () => {
      const stop = describeStop(reason, execution.timeoutMs);
      this.replaceSandbox("the sandbox did not carry out a kill", {
        status: stop.status,
        message: `${stop.message}; the sandbox did not respond, so it was replaced and the variables are lost`,
      });
    };
    this.escalation.start(kill, giveUp);
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
    this.limitWatch?.stop();
    this.endAll(reason);
    await this.sandbox.kill();
    this.logger.info({ reason }, "sandbox closed");
  }

  /**
   * Ends every execution, kills the sandbox, optionally empties the
   * workspace, and starts a fresh sandbox. Also revives a failed session.
   * @throws SessionNotReadyError while a sandbox starts or the session is being deleted.
   * @throws Error when the new sandbox does not start; the session has failed then.
   */
  async restart(emptyWorkspace: boolean): Promise<void> {
    if (this.state === SessionState.STARTING || this.state === SessionState.CLOSED) {
      throw new SessionNotReadyError(`session ${this.id} is ${this.state === SessionState.STARTING ? "starting a sandbox" : "being deleted"}; retry once it is idle`);
    }
    this.state = SessionState.STARTING;
    this.lastActiveAt = Date.now();
    this.endAll("restart");
    await this.sandbox.kill();
    if (emptyWorkspace) {
      await clearWorkspace(this.options.workspaceDir);
    }
    this.sessionRestarts = Math.min(0xffff_ffff, this.sessionRestarts + 1);
    this.countInterpreterRestart();
    this.restarts.clear();
    try {
      await this.launchSandbox();
    } catch (error) {
      this.failSession(error as Error);
      throw error;
    } finally {
      this.lastActiveAt = Date.now();
    }
  }

  /**
   * Passes input to an execution's stdin, or keeps it until the execution
   * starts, and closes stdin after it when close is set. The caller checks
   * that stdin is still open.
   */
  sendInput(execution: Execution, data: Uint8Array, close: boolean): void {
    if (execution.phase === "queued") {
      execution.stdin.hold(data);
    } else if (execution.phase === "running") {
      for (const frame of encodeInputFrames(execution.number, splitForFrames(data), close)) {
        this.sandbox.send(frame);
      }
    }
    if (close) {
      execution.stdin.closed = true;
    }
  }

  /** Bytes written to the sandbox that it has not read yet. */
  get unsentBytes(): number {
    return this.sandbox.pendingWriteBytes;
  }

  /** Ends the queued and the running executions from the server's side. */
  private endAll(reason: StopReason): void {
    for (const execution of [...this.queue]) {
      this.stop(execution, reason);
    }
    if (this.running) {
      this.running.stopReason = reason;
      this.endExecution(this.running, create(ExecutionResultSchema, describeStop(reason, this.running.timeoutMs)));
      this.finishRunning();
    }
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
    this.output.reset();
    this.timeoutTimer = setTimeout(() => this.stop(execution, "timeout"), execution.timeoutMs);
    this.limitWatch?.beginExecution();
    // Without input, stdin is /dev/null in the sandbox: no pipe, no frames.
    const stdin = execution.stdin;
    if (stdin.closed && stdin.heldBytes === 0) {
      this.sandbox.send(encodeJsonFrame(FrameType.exec, execution.number, execution.task));
      return;
    }
    this.sandbox.send(encodeJsonFrame(FrameType.exec, execution.number, { ...execution.task, stdin: "pipe" }));
    for (const frame of encodeInputFrames(execution.number, stdin.takeHeld(), stdin.closed)) {
      this.sandbox.send(frame);
    }
  }

  private finishRunning(): void {
    clearTimeout(this.timeoutTimer);
    this.escalation.cancel();
    this.running = undefined;
    this.executionCount++;
    this.lastActiveAt = Date.now();
    if (this.state === SessionState.BUSY) {
      this.state = SessionState.IDLE;
    }
    this.startNext();
  }

  private emitServerResult(
    execution: Execution,
    outcome: {
      status: ExecutionStatus;
      message: string;
      interpreterRestarted?: boolean;
      refusal?: MessageInitShape<typeof SafetyRefusalSchema>;
      limitExceeded?: Resource;
    },
  ): void {
    this.endExecution(execution, create(ExecutionResultSchema, outcome));
  }

  /**
   * Emits an execution's last events: the output kept back, then the
   * result, whose message also reports what the output cap dropped.
   */
  private endExecution(execution: Execution, result: ExecutionResult): void {
    if (execution === this.running) {
      const dropped = this.output.finish(execution);
      if (dropped.bytes > 0) {
        result.outputDroppedBytes = BigInt(dropped.bytes);
        result.message = result.message === "" ? dropped.message : `${result.message}; ${dropped.message}`;
      }
    }
    execution.emit({ case: "result", value: result });
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
    this.output.push(execution, STREAM_NAMES[type], frame.payload);
  }

  private handleResult(frame: Frame): void {
    const execution = this.running;
    if (execution === undefined || execution.number !== frame.execution) {
      return;
    }
    const parsed = SupervisorReplySchema.safeParse(parseJson(frame.payload));
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
      if (this.limitWatch !== undefined && execution.stopReason === undefined) {
        void this.finishWithinLimits(execution, result, this.limitWatch);
        return;
      }
      this.endExecution(execution, result);
    }
    this.finishRunning();
  }

  /** Emits the result once it is known whether a resource limit stopped the execution. */
  private async finishWithinLimits(execution: Execution, result: ExecutionResult, watch: LimitWatch): Promise<void> {
    await watch.judgeResult(result, execution.task.kind, this.sandbox.hostInitPid);
    // A sandbox that died meanwhile has ended the execution already.
    if (this.running === execution) {
      this.endExecution(execution, result);
      this.finishRunning();
    }
  }

  /** Asks the sandbox to kill every process of the session, which replaces the interpreter. */
  private killEveryProcess(forkFailures: number): void {
    this.logger.warn({ forkFailures, maxProcesses: this.options.confinement?.limits.maxProcesses }, "session reached its process limit; killing every process of it");
    this.sandbox.send(encodeJsonFrame(FrameType.signal, 0, { action: "kill-all" }));
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
    const outOfMemory = this.limitWatch?.describeSandboxExit();
    this.endRunningExecution(
      outOfMemory ?? {
        status: ExecutionStatus.CRASHED,
        message: `the sandbox exited unexpectedly${detail}; it is being replaced and the variables are lost`,
      },
    );
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
  private endRunningExecution(outcome: { status: ExecutionStatus; message: string; limitExceeded?: Resource }): void {
    this.state = SessionState.STARTING;
    this.countInterpreterRestart();
    const execution = this.running;
    if (execution !== undefined) {
      this.emitServerResult(execution, { ...outcome, interpreterRestarted: true });
      this.finishRunning();
    }
  }

  private relaunchSandbox(): void {
    const giveUp = this.restarts.record(Date.now());
    if (giveUp !== undefined) {
      this.failSession(new Error(giveUp));
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
