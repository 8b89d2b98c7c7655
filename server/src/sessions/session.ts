import { type MessageInitShape, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { type ExecutionResult, ExecutionResultSchema, ExecutionStatus } from "../gen/seatbelt/v1/execution_pb.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import type { Frame } from "../sandbox/frames.js";
import type { SandboxProcess } from "../sandbox/sandbox-process.js";
import { Execution, type StopReason, type Task } from "./execution.js";
import { ExecutionQueue } from "./execution-queue.js";
import { SessionNotReadyError } from "./errors.js";
import { dispatchFrame } from "./frame-dispatch.js";
import { type SessionId, createExecutionId } from "./ids.js";
import { LimitWatch } from "./limit-watch.js";
import { OutputRelay } from "./output-relay.js";
import { describeStop } from "./result.js";
import { readResultFrame } from "./result-frame.js";
import { stopRunningExecution } from "./running-stop.js";
import { type LostSandboxOutcome, SandboxKeeper } from "./sandbox-keeper.js";
import type { SessionContext, SessionOptions, SubmitOptions } from "./session-options.js";
import type { StartedSandbox } from "./session-sandbox.js";
import { encodeStartFrames } from "./start-frames.js";
import { StopEscalation } from "./stop-escalation.js";
import { StdinState, encodeInputFrames, splitForFrames } from "./stdin.js";
import { clearWorkspace } from "./workspace.js";
import { checkShellTask } from "../safety/shell-check.js";

export type { SessionContext, SessionOptions, SubmitOptions } from "./session-options.js";
export { type SandboxHandlers, type StartedSandbox, startSessionSandbox } from "./session-sandbox.js";

/**
 * One session: its sandbox, its queue of executions, and its counters.
 * Executions run one at a time, in the order they were submitted. The
 * session coordinates the pieces: it moves the queue on, turns frames into
 * execution events, and replaces a sandbox that dies or misbehaves.
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

  private readonly keeper: SandboxKeeper;
  private readonly logger: Logger;
  private readonly queue = new ExecutionQueue();
  private nextNumber = 1;
  private readonly output: OutputRelay;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly escalation: StopEscalation;
  private readonly limitWatch: LimitWatch | undefined;

  private constructor(
    readonly options: SessionOptions,
    private readonly context: SessionContext,
  ) {
    this.logger = context.logger.child({ sessionId: options.id });
    this.output = new OutputRelay(options.outputBytes);
    this.escalation = new StopEscalation(context.killGraceMs);
    const confinement = options.confinement;
    this.limitWatch = confinement === undefined ? undefined : new LimitWatch(confinement, (forkFailures) => this.keeper.killEveryProcess(forkFailures));
    this.keeper = new SandboxKeeper({
      session: this,
      options,
      context,
      logger: this.logger,
      limitWatch: this.limitWatch,
      onFrame: (frame) => this.handleFrame(frame),
      startNext: () => this.startNext(),
      endRunning: (outcome) => this.endRunningExecution(outcome),
      failWaiting: (error) => this.failWaiting(error),
    });
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
      await session.keeper.launch();
    } else {
      session.adoptSandbox(started);
    }
    session.limitWatch?.start();
    return session;
  }

  private adoptSandbox(started: StartedSandbox): void {
    this.keeper.adopt(started);
    this.pythonVersion = started.pythonVersion;
    this.fromWarmPool = true;
    this.state = SessionState.IDLE;
    this.logger.info({ pid: started.sandbox.pid, python: this.pythonVersion }, "sandbox taken from the warm pool");
  }

  /** The sandbox that runs the session's executions now. */
  private get sandbox(): SandboxProcess {
    return this.keeper.sandbox;
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
    return this.queue.waitingCount;
  }

  /** True while an execution runs or waits. */
  get busy(): boolean {
    return this.queue.busy;
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
      value: { sessionId: this.id, acceptedAt: timestampFromDate(new Date()), queuePosition: this.queue.size },
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
      this.queue.remove(execution);
      execution.stopReason = reason;
      this.endExecution(execution, create(ExecutionResultSchema, describeStop(reason, execution.timeoutMs)));
      return true;
    }
    if (execution.stopReason !== undefined) {
      return true;
    }

    execution.stopReason = reason;
    stopRunningExecution(execution, reason, {
      send: (frame) => this.sandbox.send(frame),
      escalation: this.escalation,
      logger: this.logger,
      replaceSandbox: (why, outcome) => this.keeper.replace(why, outcome),
    });
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
    this.keeper.clearRestarts();
    try {
      await this.keeper.launch();
    } catch (error) {
      this.keeper.fail(error as Error);
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
    for (const execution of this.queue.listWaiting()) {
      this.stop(execution, reason);
    }
    const running = this.queue.running;
    if (running) {
      running.stopReason = reason;
      this.endExecution(running, create(ExecutionResultSchema, describeStop(reason, running.timeoutMs)));
      this.finishRunning();
    }
  }

  private startNext(): void {
    if (this.state !== SessionState.IDLE) {
      return;
    }
    const execution = this.queue.startNext();
    if (execution === undefined) {
      return;
    }

    this.state = SessionState.BUSY;
    this.output.reset();
    this.timeoutTimer = setTimeout(() => this.stop(execution, "timeout"), execution.timeoutMs);
    this.limitWatch?.beginExecution();
    for (const frame of encodeStartFrames(execution)) {
      this.sandbox.send(frame);
    }
  }

  private finishRunning(): void {
    clearTimeout(this.timeoutTimer);
    this.escalation.cancel();
    this.queue.running = undefined;
    this.executionCount++;
    this.lastActiveAt = Date.now();
    if (this.state === SessionState.BUSY) {
      this.state = SessionState.IDLE;
    }
    this.startNext();
  }

  private emitServerResult(execution: Execution, outcome: MessageInitShape<typeof ExecutionResultSchema>): void {
    this.endExecution(execution, create(ExecutionResultSchema, outcome));
  }

  /**
   * Emits an execution's last events: the output kept back, then the
   * result, whose message also reports what the output cap dropped.
   */
  private endExecution(execution: Execution, result: ExecutionResult): void {
    if (execution === this.queue.running) {
      this.output.finishInto(execution, result);
    }
    execution.emit({ case: "result", value: result });
  }

  private handleFrame(frame: Frame): void {
    dispatchFrame(frame, {
      onReady: (pythonVersion) => {
        this.pythonVersion = pythonVersion;
        this.keeper.markReady();
      },
      onOutput: (number, stream, payload) => {
        const execution = this.queue.findRunning(number);
        if (execution !== undefined) {
          this.output.push(execution, stream, payload);
        }
      },
      onResult: (number, payload) => this.handleResult(number, payload),
      onLateOutput: (bytes) => {
        this.lateOutputBytes = Math.min(Number.MAX_SAFE_INTEGER, this.lateOutputBytes + bytes);
      },
      onRestarted: () => this.countInterpreterRestart(),
      onUnknown: (type) =>
        this.keeper.replace(`the sandbox sent a frame of unknown type ${type}`, {
          status: ExecutionStatus.CRASHED,
          message: "the sandbox broke the frame protocol, so it was replaced and the variables are lost",
        }),
    });
  }

  private handleResult(number: number, payload: Buffer): void {
    const execution = this.queue.findRunning(number);
    if (execution === undefined) {
      return;
    }
    const read = readResultFrame(payload, execution, this.context.killGraceMs);
    if (read === undefined) {
      this.logger.error({ executionId: execution.id }, "sandbox sent a malformed result");
      this.emitServerResult(execution, { status: ExecutionStatus.CRASHED, message: "the sandbox sent a malformed result" });
    } else {
      if (read.interpreterRestarted) {
        this.countInterpreterRestart();
      }
      const result = read.result;
      if (this.limitWatch !== undefined && execution.stopReason === undefined) {
        this.limitWatch.judgeResult(result, execution.task.kind, this.sandbox.hostInitPid);
      }
      this.endExecution(execution, result);
    }
    this.finishRunning();
  }

  /** Ends the running execution from the server's side after its sandbox was lost. */
  private endRunningExecution(outcome: LostSandboxOutcome): void {
    this.countInterpreterRestart();
    const execution = this.queue.running;
    if (execution !== undefined) {
      this.emitServerResult(execution, { ...outcome, interpreterRestarted: true });
      this.finishRunning();
    }
  }

  private countInterpreterRestart(): void {
    this.interpreterRestarts = Math.min(0xffff_ffff, this.interpreterRestarts + 1);
  }

  /** Ends the waiting executions after the session's sandbox could not be replaced. */
  private failWaiting(error: Error): void {
    for (const execution of this.queue.takeWaiting()) {
      this.emitServerResult(execution, { status: ExecutionStatus.CRASHED, message: `the session's sandbox could not be restarted: ${error.message}; delete the session` });
    }
  }
}
