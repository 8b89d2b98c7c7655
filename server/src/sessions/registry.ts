import { join } from "node:path";
import type { Logger } from "pino";
import type { Execution, StopReason, Task } from "./execution.js";
import { type ExecutionId, type SessionId, createSessionId } from "./ids.js";
import { Session, type SessionContext } from "./session.js";
import { createWorkspace, removeTree } from "./workspace.js";
import type { SafetyOptions } from "../safety/options.js";

export interface RegistryOptions extends SessionContext {
  readonly workspacesDir: string;
  readonly sandboxUid: number | undefined;
  readonly sandboxGid: number | undefined;
  readonly finishedRetentionMs: number;
}

/** Options of a new session after validation. */
export interface NewSessionOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly profileName: string;
  readonly safety: SafetyOptions;
}

/** Every live session of the server, and their executions by id. */
export class SessionRegistry {
  private readonly sessions = new Map<SessionId, Session>();
  private readonly executions = new Map<ExecutionId, { execution: Execution; session: Session }>();
  private readonly logger: Logger;

  constructor(private readonly options: RegistryOptions) {
    this.logger = options.logger;
  }

  /** Creates a workspace and a sandbox; removes the workspace again if the sandbox fails. */
  async create(request: NewSessionOptions): Promise<Session> {
    const id = createSessionId();
    const workspaceDir = await createWorkspace(this.options.workspacesDir, id, { uid: this.options.sandboxUid, gid: this.options.sandboxGid });
    try {
      const session = await Session.start({ id, workspaceDir, env: request.env, profileName: request.profileName, safety: request.safety }, this.options);
      this.sessions.set(id, session);
      return session;
    } catch (error) {
      await this.removeWorkspace(workspaceDir);
      throw error;
    }
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id as SessionId);
  }

  /** Sessions, oldest first. */
  list(): Session[] {
    return [...this.sessions.values()];
  }

  /** Ends a session's processes and removes its workspace. */
  async delete(id: string, reason: StopReason = "session-deleted"): Promise<Session | undefined> {
    const session = this.sessions.get(id as SessionId);
    if (session === undefined) {
      return undefined;
    }
    this.sessions.delete(session.id);
    await session.close(reason);
    await this.removeWorkspace(session.options.workspaceDir);
    return session;
  }

  /** Removes a workspace; a failure is logged, because the session is gone either way. */
  private async removeWorkspace(dir: string): Promise<void> {
    try {
      await removeTree(dir);
    } catch (error) {
      this.logger.error({ err: error, workspaceDir: dir }, "failed to remove a workspace");
    }
  }

  /** Queues a task on a session and keeps its execution findable until it expires. */
  execute(session: Session, task: Task, timeoutMs: number): Execution {
    const execution = session.submit(task, timeoutMs);
    this.executions.set(execution.id, { execution, session });
    void execution.done.then(() => {
      setTimeout(() => this.executions.delete(execution.id), this.options.finishedRetentionMs).unref();
    });
    return execution;
  }

  findExecution(id: string): { execution: Execution; session: Session } | undefined {
    return this.executions.get(id as ExecutionId);
  }

  /** Deletes every session, in parallel. */
  async closeAll(reason: StopReason): Promise<void> {
    const ids = [...this.sessions.keys()];
    const results = await Promise.allSettled(ids.map((id) => this.delete(id, reason)));
    for (const result of results) {
      if (result.status === "rejected") {
        this.logger.error({ err: result.reason }, "failed to close a session");
      }
    }
  }
}

/** Returns the directory that contains the workspaces of one server instance. */
export function getWorkspacesDir(instanceDir: string): string {
  return join(instanceDir, "workspaces");
}
