import type { Logger } from "pino";
import type { SessionId } from "./ids.js";

/** A workspace created, and its tmpfs mounted, before any session asked for it. */
export interface PreparedWorkspace {
  readonly id: SessionId;
  readonly dir: string;
  readonly diskBytes: number;
}

export interface WorkspacePoolOptions {
  /** Size of the workspaces that the pool keeps ready: the server's default. */
  readonly diskBytes: number;
  readonly prepare: () => Promise<PreparedWorkspace>;
  readonly discard: (workspace: PreparedWorkspace) => Promise<void>;
  readonly logger: Logger;
}

/**
 * Keeps one workspace of the default size ready for the next session,
 * because mounting its tmpfs runs mount(8), which would add a few
 * milliseconds to every session start. The caller refills it at quiet
 * moments, so that preparing the spare does not slow a session start.
 */
export class WorkspacePool {
  private spare: Promise<PreparedWorkspace | undefined> | undefined;
  private closed = false;

  constructor(private readonly options: WorkspacePoolOptions) {}

  /** Hands out the spare workspace when it has the requested size; undefined when there is none. */
  async take(diskBytes: number): Promise<PreparedWorkspace | undefined> {
    if (diskBytes !== this.options.diskBytes || this.spare === undefined) {
      return undefined;
    }
    const spare = this.spare;
    this.spare = undefined;
    return spare;
  }

  /** Prepares a new spare unless one exists; a failure is logged and leaves the pool empty. */
  refill(): void {
    if (this.closed || this.spare !== undefined) {
      return;
    }
    this.spare = this.options.prepare().catch((error: unknown) => {
      this.options.logger.error({ err: error }, "failed to prepare a spare workspace");
      return undefined;
    });
  }

  /** Stops refilling and removes the spare. */
  async close(): Promise<void> {
    this.closed = true;
    const spare = await this.spare;
    this.spare = undefined;
    if (spare !== undefined) {
      await this.options.discard(spare);
    }
  }
}
