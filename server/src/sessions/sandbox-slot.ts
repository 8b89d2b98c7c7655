import type { BubblewrapBackend, PreparedSandbox } from "../sandbox/bubblewrap/backend.js";
import type { SandboxProcess } from "../sandbox/sandbox-process.js";
import { type SandboxHandlers, type StartedSandbox, startSessionSandbox } from "./session-sandbox.js";
import type { SessionOptions } from "./session-options.js";

/**
 * The sandbox that a session uses now, which a replacement swaps out. Frames
 * and the exit of a sandbox that has been replaced are dropped here, so the
 * session hears only from its current one.
 */
export class SandboxSlot {
  private sandbox!: SandboxProcess;
  private resolveReady: () => void = () => {};
  private rejectReady: (error: Error) => void = () => {};

  constructor(
    private readonly backend: BubblewrapBackend,
    private readonly options: SessionOptions,
    private readonly handlers: SandboxHandlers,
  ) {}

  /** The current sandbox; set once adopt or launch has been called. */
  get current(): SandboxProcess {
    return this.sandbox;
  }

  /** Takes a sandbox that has already sent READY, such as one from the warm pool. */
  adopt(started: StartedSandbox): void {
    this.sandbox = started.sandbox;
    started.attach(this.routeFrom(() => started.sandbox));
  }

  /**
   * Starts a sandbox and waits until markReady is called for its READY frame.
   * A sandbox that does not get ready within startTimeoutMs, or that fails
   * to start, is killed.
   * @throws Error from failStart, or when the timeout passes.
   */
  async launch(startTimeoutMs: number, prepared: PreparedSandbox): Promise<void> {
    const ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    const sandbox: SandboxProcess = startSessionSandbox(this.backend, { ...this.options, prepared }, this.routeFrom(() => sandbox));
    this.sandbox = sandbox;

    const timer = setTimeout(() => this.rejectReady(new Error(`sandbox did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    try {
      await ready;
    } catch (error) {
      await this.sandbox.kill();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the wait of launch successfully; a no-op when no launch waits. */
  markReady(): void {
    this.resolveReady();
  }

  /** Ends the wait of launch with error; a no-op once the wait has ended. */
  failStart(error: Error): void {
    this.rejectReady(error);
  }

  /**
   * Passes on the events of one sandbox while it is the current one. The
   * sandbox comes through a getter because launch needs the handlers
   * before the sandbox exists.
   */
  private routeFrom(sandbox: () => SandboxProcess): SandboxHandlers {
    const isCurrent = () => sandbox() === this.sandbox;
    return {
      onFrame: (frame) => isCurrent() && this.handlers.onFrame(frame),
      onExit: (exit) => isCurrent() && this.handlers.onExit(exit),
    };
  }
}
