import type { Logger } from "pino";
import { ExecutionStatus, type Resource } from "../gen/seatbelt/v1/execution_pb.js";
import { SessionState } from "../gen/seatbelt/v1/session_pb.js";
import { FrameType, encodeJsonFrame } from "../sandbox/frames.js";
import type { SandboxExit, SandboxProcess } from "../sandbox/sandbox-process.js";
import type { LimitWatch } from "./limit-watch.js";
import { RestartWindow } from "./restart-window.js";
import { SandboxSlot } from "./sandbox-slot.js";
import type { SandboxHandlers, StartedSandbox } from "./session-sandbox.js";
import type { SessionContext, SessionOptions } from "./session-options.js";

/** Outcome of the execution that was running when its sandbox was lost. */
export interface LostSandboxOutcome {
  readonly status: ExecutionStatus;
  readonly message: string;
  readonly limitExceeded?: Resource;
}

/** The session that a sandbox keeper serves, and what it does to that session. */
export interface SandboxKeeperOptions {
  /** The session's state, which the keeper moves through STARTING, IDLE and FAILED. */
  readonly session: { state: SessionState; readonly pythonVersion: string };
  readonly options: SessionOptions;
  readonly context: SessionContext;
  readonly logger: Logger;
  readonly limitWatch: LimitWatch | undefined;
  readonly onFrame: SandboxHandlers["onFrame"];
  /** Runs the next queued execution, once a sandbox is ready. */
  readonly startNext: () => void;
  /** Counts an interpreter replacement, and ends the running execution, if any, with the outcome. */
  readonly endRunning: (outcome: LostSandboxOutcome) => void;
  /** Ends every waiting execution because no sandbox will run them. */
  readonly failWaiting: (error: Error) => void;
}

/**
 * Keeps a session supplied with a working sandbox: launches it, replaces one
 * that exits or misbehaves on the same workspace, and fails the session when
 * the sandbox keeps dying. The session's own state machine decides when a
 * launch may happen; the keeper moves it through STARTING, IDLE and FAILED.
 */
export class SandboxKeeper {
  private readonly slot: SandboxSlot;
  private readonly restarts = new RestartWindow();
  private readonly session: SandboxKeeperOptions["session"];
  private readonly logger: Logger;

  constructor(private readonly settings: SandboxKeeperOptions) {
    this.session = settings.session;
    this.logger = settings.logger;
    this.slot = new SandboxSlot(settings.context.backend, settings.options, { onFrame: settings.onFrame, onExit: (exit) => this.handleExit(exit) });
  }

  /** The sandbox that runs the session's executions now. */
  get sandbox(): SandboxProcess {
    return this.slot.current;
  }

  /** Takes a sandbox that has already sent READY, such as one from the warm pool. */
  adopt(started: StartedSandbox): void {
    this.slot.adopt(started);
  }

  /** Ends the wait of launch for the READY frame of the current sandbox. */
  markReady(): void {
    this.slot.markReady();
  }

  /** Forgets earlier replacements, as after a restart that the caller asked for. */
  clearRestarts(): void {
    this.restarts.clear();
  }

  /**
   * Starts a sandbox on the session's workspace and waits for its READY frame,
   * then lets the queue move on. A sandbox that does not get ready in time is
   * killed.
   * @throws Error when the sandbox does not start, or the session was closed first.
   */
  async launch(): Promise<void> {
    // Each sandbox is planned from the host as it is now, so that paths the
    // profile denies and that appeared since the last start are masked.
    const prepared = await this.settings.context.backend.replan(this.settings.options.workspaceDir, this.settings.options.prepared);
    // A sandbox started after close() would outlive its session.
    if (this.session.state === SessionState.CLOSED) {
      throw new Error(`session ${this.settings.options.id} was deleted before its new sandbox started`);
    }
    this.session.state = SessionState.STARTING;
    await this.slot.launch(this.settings.context.startTimeoutMs, prepared);
    if (this.session.state === SessionState.STARTING) {
      this.session.state = SessionState.IDLE;
    }
    this.logger.info({ pid: this.sandbox.pid, python: this.session.pythonVersion }, "sandbox started");
    this.settings.startNext();
  }

  /**
   * Kills a sandbox that misbehaves, ends the running execution with the
   * given outcome, and starts a new sandbox on the same workspace.
   */
  replace(reason: string, outcome: LostSandboxOutcome): void {
    if (this.session.state === SessionState.CLOSED || this.session.state === SessionState.FAILED) {
      return;
    }
    this.logger.error({ reason }, "replacing the sandbox");
    this.endRunning(outcome);
    const old = this.sandbox;
    void old.kill().then(() => {
      if (this.sandbox === old) {
        this.relaunch();
      }
    });
  }

  /** Asks the sandbox to kill every process of the session, which replaces the interpreter. */
  killEveryProcess(forkFailures: number): void {
    this.logger.warn({ forkFailures, maxProcesses: this.settings.options.confinement?.limits.maxProcesses }, "session reached its process limit; killing every process of it");
    this.sandbox.send(encodeJsonFrame(FrameType.signal, 0, { action: "kill-all" }));
  }

  /** Marks the session unusable after its sandbox could not be replaced. */
  fail(error: Error): void {
    if (this.session.state === SessionState.CLOSED) {
      return;
    }
    this.session.state = SessionState.FAILED;
    this.logger.error({ err: error }, "sandbox could not be restarted");
    void this.sandbox.kill();
    this.settings.failWaiting(error);
  }

  private handleExit(exit: SandboxExit): void {
    if (this.session.state === SessionState.STARTING || this.session.state === SessionState.CLOSED) {
      // Settles a start that is still waiting; a no-op once it has settled.
      this.slot.failStart(new Error(exit.diagnostics || `sandbox exited with status ${exit.exitCode ?? exit.signal}`));
      return;
    }

    // Code in the sandbox can end the sandbox itself (by killing its
    // supervisor, say). The session replaces it on the same workspace, like
    // any interpreter crash, and queued executions run in the new one.
    this.logger.error({ exitCode: exit.exitCode, signal: exit.signal, diagnostics: exit.diagnostics }, "sandbox exited unexpectedly");
    const detail = exit.diagnostics ? ` (${exit.diagnostics})` : "";
    const outOfMemory = this.settings.limitWatch?.describeSandboxExit();
    this.endRunning(
      outOfMemory ?? {
        status: ExecutionStatus.CRASHED,
        message: `the sandbox exited unexpectedly${detail}; it is being replaced and the variables are lost`,
      },
    );
    this.relaunch();
  }

  /** Ends the running execution from the server's side and pauses the queue until a sandbox is ready. */
  private endRunning(outcome: LostSandboxOutcome): void {
    this.session.state = SessionState.STARTING;
    this.settings.endRunning(outcome);
  }

  private relaunch(): void {
    const giveUp = this.restarts.record(Date.now());
    if (giveUp !== undefined) {
      this.fail(new Error(giveUp));
      return;
    }
    this.launch().catch((error: unknown) => this.fail(error as Error));
  }
}
