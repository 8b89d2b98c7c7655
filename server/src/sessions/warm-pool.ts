import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import type { BubblewrapBackend, PreparedSandbox } from "../sandbox/bubblewrap/backend.js";
import type { LimitEnforcer } from "../sandbox/limits/limit-enforcer.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";
import { type Frame, FrameType } from "../sandbox/frames.js";
import type { SandboxExit, SandboxProcess } from "../sandbox/sandbox-process.js";
import { type SessionId, createSessionId } from "./ids.js";
import type { NewSessionOptions } from "./registry.js";
import { type SandboxHandlers, type StartedSandbox, startSessionSandbox } from "./session-sandbox.js";
import { createWorkspace, removeTree } from "./workspace.js";

/** Time before the pool tries again after a sandbox failed to start. @default 1000 */
const FILL_RETRY_DELAY_MS = 1_000;

/** Time between a take and the start of the refill. @default 100 */
const REFILL_DELAY_MS = 100;

/** Settings and services of the warm pool. */
export interface WarmPoolOptions {
  /** Number of ready sandboxes to keep; 0 turns the pool off. */
  readonly size: number;
  /** Options of a request that names nothing: the only launch the pool serves. */
  readonly defaultOptions: NewSessionOptions;
  readonly backend: BubblewrapBackend;
  /** Confines each pooled sandbox by the default options' limits, as a session's would be. */
  readonly limitEnforcer?: LimitEnforcer | undefined;
  readonly logger: Logger;
  readonly workspacesDir: string;
  readonly sandboxUid: number | undefined;
  readonly sandboxGid: number | undefined;
  readonly startTimeoutMs: number;
}

/** A sandbox started ahead of a session, with the id, workspace and plan that session gets. */
export interface PooledSandbox extends StartedSandbox {
  readonly id: SessionId;
  readonly workspaceDir: string;
  readonly prepared: PreparedSandbox;
  /** Cgroup and workspace mount of the sandbox; the session releases them. */
  readonly confinement: SessionConfinement | undefined;
}

/**
 * Tells whether a session's normalized options launch exactly the sandbox
 * that a request without settings launches. Any setting that a request may
 * add to the options (a profile, directories, env, limits) makes them
 * differ, so a new setting keeps such requests out of the pool without a
 * change here.
 */
export function isDefaultLaunch(options: NewSessionOptions, defaultOptions: NewSessionOptions): boolean {
  return isDeepStrictEqual(options, defaultOptions);
}

interface Entry extends PooledSandbox {
  handlers: SandboxHandlers;
}

/**
 * Sandboxes of the default launch, started before any request asks for
 * them, so that CreateSession only hands one over. Each one has its own
 * session id and workspace and has run no code. The pool starts one sandbox
 * at a time in the background and refills after every take.
 */
export class WarmPool {
  private readonly ready: Entry[] = [];
  private filling: Promise<void> | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private refillTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WarmPoolOptions) {}

  /** Number of sandboxes ready to be taken. */
  get readyCount(): number {
    return this.ready.length;
  }

  /** Starts filling the pool in the background. */
  start(): void {
    this.fill();
  }

  /**
   * Returns a ready sandbox for a session with these options, or undefined
   * when the options are not the default launch or none is ready. Refills
   * in the background either way.
   */
  take(options: NewSessionOptions): PooledSandbox | undefined {
    if (this.options.size === 0 || !isDefaultLaunch(options, this.options.defaultOptions)) {
      return undefined;
    }
    let entry = this.ready.shift();
    while (entry !== undefined && !entry.sandbox.running) {
      entry = this.ready.shift();
    }
    this.scheduleRefill();
    return entry;
  }

  /** Waits until the pool contains its full size; for tests and benchmarks. */
  async waitUntilFull(): Promise<void> {
    while (!this.closed && this.ready.length < this.options.size) {
      this.fill();
      await (this.filling ?? new Promise((resolve) => setTimeout(resolve, 10)));
    }
  }

  /** Stops refilling, kills every pooled sandbox and removes its workspace. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.refillTimer);
    await this.filling;
    await Promise.all(this.ready.splice(0).map((entry) => this.discard(entry)));
  }

  /**
   * Refills a little later rather than at once. Starting a sandbox blocks
   * the event loop while bubblewrap is spawned and then keeps a core busy
   * while Python starts, which would delay the reply to the request that
   * took a sandbox and its first execution.
   */
  private scheduleRefill(): void {
    if (this.refillTimer === undefined && !this.closed) {
      this.refillTimer = setTimeout(() => {
        this.refillTimer = undefined;
        this.fill();
      }, REFILL_DELAY_MS).unref();
    }
  }

  private fill(): void {
    if (this.filling !== undefined || this.closed || this.ready.length >= this.options.size) {
      return;
    }
    this.filling = (async () => {
      while (!this.closed && this.ready.length < this.options.size) {
        const entry = await this.launch().catch((error: unknown) => {
          this.options.logger.error({ err: error }, "failed to start a sandbox for the warm pool");
          return undefined;
        });
        if (entry === undefined) {
          this.retryTimer = setTimeout(() => this.fill(), FILL_RETRY_DELAY_MS).unref();
          return;
        }
        if (this.closed) {
          await this.discard(entry);
          return;
        }
        this.ready.push(entry);
      }
    })().finally(() => {
      this.filling = undefined;
    });
  }

  /** Starts one sandbox on a new workspace and waits for its READY frame. */
  private async launch(): Promise<Entry> {
    const { options } = this;
    const id = createSessionId();
    const defaults = options.defaultOptions;
    const workspaceDir = await createWorkspace(options.workspacesDir, id, { uid: options.sandboxUid, gid: options.sandboxGid });
    let confinement: SessionConfinement | undefined;
    let prepared: PreparedSandbox;
    try {
      // Confined like the session that takes it, before it starts: a
      // sandbox must never run outside its limits.
      if (defaults.limits !== undefined) {
        confinement = await options.limitEnforcer?.confine(id, workspaceDir, defaults.limits);
      }
      prepared = await options.backend.prepare({ workspaceDir, profile: defaults.profile, pythonEnv: defaults.pythonEnv });
    } catch (error) {
      await confinement?.release().catch(() => {});
      await removeTree(workspaceDir).catch(() => {});
      throw error;
    }
    let pythonVersion = "";
    let markReady: () => void = () => {};
    let failStart: (error: Error) => void = () => {};
    const started = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failStart = reject;
    });
    // Until a session takes the sandbox, the pool handles its frames and its
    // exit; the session swaps in its own handlers when it attaches.
    const handlers: SandboxHandlers = {
      onFrame: (frame: Frame) => {
        if (frame.type === FrameType.ready) {
          pythonVersion = readPythonVersion(frame.payload);
          markReady();
        }
      },
      onExit: (exit: SandboxExit) => {
        failStart(new Error(exit.diagnostics || `sandbox exited with status ${exit.exitCode ?? exit.signal}`));
        this.forget(entry);
      },
    };
    const sandbox: SandboxProcess = startSessionSandbox(options.backend, { ...defaults, workspaceDir, prepared, confinement }, {
      onFrame: (frame) => entry.handlers.onFrame(frame),
      onExit: (exit) => entry.handlers.onExit(exit),
    });
    const entry: Entry = {
      id,
      workspaceDir,
      prepared,
      confinement,
      sandbox,
      handlers,
      get pythonVersion() {
        return pythonVersion;
      },
      attach(sessionHandlers) {
        entry.handlers = sessionHandlers;
      },
    };

    const timer = setTimeout(() => failStart(new Error(`sandbox did not start within ${options.startTimeoutMs} ms`)), options.startTimeoutMs);
    try {
      await started;
    } catch (error) {
      await this.discard(entry);
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return entry;
  }

  /** Drops a pooled sandbox that exited by itself, and starts a replacement. */
  private forget(entry: Entry): void {
    const index = this.ready.indexOf(entry);
    if (index === -1) {
      return;
    }
    this.ready.splice(index, 1);
    this.options.logger.warn({ sessionId: entry.id }, "a sandbox of the warm pool exited; replacing it");
    void this.discard(entry);
    this.fill();
  }

  private async discard(entry: Entry): Promise<void> {
    await entry.sandbox.kill();
    await entry.confinement?.release().catch((error: unknown) => {
      this.options.logger.error({ err: error, sessionId: entry.id }, "failed to release a pooled sandbox's cgroup or workspace mount");
    });
    await removeTree(entry.workspaceDir).catch((error: unknown) => {
      this.options.logger.error({ err: error, workspaceDir: entry.workspaceDir }, "failed to remove a workspace");
    });
  }
}

function readPythonVersion(payload: Buffer): string {
  try {
    const ready = JSON.parse(payload.toString("utf8")) as { pythonVersion?: unknown };
    return typeof ready.pythonVersion === "string" ? ready.pythonVersion : "";
  } catch {
    return "";
  }
}
