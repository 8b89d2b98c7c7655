import { join } from "node:path";
import type { Logger } from "pino";
import { ANONYMOUS_TENANT, type Tenant } from "../auth/tenant.js";
import type { PythonEnvironment } from "../profiles/python-env.js";
import type { ProfileRequest } from "../profiles/session-profile.js";
import { ExecutionStatus } from "../gen/seatbelt/v1/execution_pb.js";
import { listLimitHits } from "../observability/limit-hits.js";
import { recordExecution, recordLimitHit, recordSandboxStart, recordSessionCount } from "../observability/metrics.js";
import { LimitReachedError, ShuttingDownError } from "./errors.js";
import type { Execution, StopReason, Task } from "./execution.js";
import { type ExecutionId, type SessionId, createSessionId } from "./ids.js";
import { Session, type SessionContext, type SubmitOptions } from "./session.js";
import { SessionSweeper } from "./sweeper.js";
import type { WarmPool } from "./warm-pool.js";
import type { SafetyOptions } from "../safety/options.js";
import type { LimitEnforcer } from "../sandbox/limits/limit-enforcer.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";
import type { SessionLimits } from "../sandbox/limits/session-limits.js";
import { unmountWorkspaceTmpfs } from "../sandbox/limits/workspace-tmpfs.js";
import { createWorkspace, removeTree } from "./workspace.js";
import { type PreparedWorkspace, WorkspacePool } from "./workspace-pool.js";

/** Time after a session start at which the spare workspace is replaced. @default 250 */
const POOL_REFILL_DELAY_MS = 250;

export interface RegistryOptions extends SessionContext {
  readonly workspacesDir: string;
  readonly sandboxUid: number | undefined;
  readonly sandboxGid: number | undefined;
  readonly finishedRetentionMs: number;
  readonly maxSessions: number;
  readonly sessionIdleTimeoutMs: number;
  /** Confines each session's sandbox; unset runs sessions without limits. */
  readonly limitEnforcer?: LimitEnforcer | undefined;
  /** Ready sandboxes for sessions of the default launch; unset starts every sandbox on request. */
  readonly warmPool?: WarmPool | undefined;
}

/** Options of a new session after validation. */
export interface NewSessionOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly profile: ProfileRequest;
  readonly pythonEnv: PythonEnvironment | undefined;
  readonly outputBytes: number;
  readonly safety: SafetyOptions;
  /** Resource limits of the session; unset runs it without limits. */
  readonly limits?: SessionLimits | undefined;
}

/** Every live session of the server, and their executions by id. */
export class SessionRegistry {
  private readonly sessions = new Map<SessionId, Session>();
  private readonly executions = new Map<ExecutionId, { execution: Execution; session: Session }>();
  private readonly logger: Logger;
  private readonly sweeper: SessionSweeper;
  /** Sessions whose sandbox is starting, counted against maxSessions. */
  private starting = 0;
  /** Sessions starting per tenant, counted against the tenant's maxSessions. */
  private readonly startingByTenant = new Map<string, number>();
  private closing = false;
  private readonly pool: WorkspacePool | undefined;

  constructor(private readonly options: RegistryOptions) {
    this.logger = options.logger;
    this.sweeper = new SessionSweeper(
      { idleTimeoutMs: options.sessionIdleTimeoutMs, maxLifetimeMs: options.sessionMaxLifetimeMs },
      () => this.list(),
      (session, reason) => {
        this.logger.info({ sessionId: session.id, reason }, "deleting an expired session");
        void this.delete(session.id, reason);
      },
    );
    const enforcer = options.limitEnforcer;
    const diskBytes = enforcer?.defaultDiskBytes ?? 0;
    if (enforcer !== undefined && diskBytes > 0) {
      this.pool = new WorkspacePool({
        diskBytes,
        logger: this.logger,
        prepare: async () => {
          const id = createSessionId();
          const dir = await this.createWorkspace(id);
          await enforcer.mountWorkspace(dir, diskBytes).catch(async (error: unknown) => {
            await this.removeWorkspace(dir);
            throw error;
          });
          return { id, dir, diskBytes };
        },
        discard: async (workspace) => {
          await unmountWorkspaceTmpfs(workspace.dir).catch(() => {});
          await this.removeWorkspace(workspace.dir);
        },
      });
    }
  }

  /**
   * Starts preparing the spare workspace and the warm pool's sandboxes.
   * Separate from the constructor so that the server does it only once it
   * listens: a server that fails to start then has no mount to remove.
   */
  start(): void {
    this.pool?.refill();
    this.options.warmPool?.start();
  }

  private createWorkspace(id: SessionId): Promise<string> {
    return createWorkspace(this.options.workspacesDir, id, { uid: this.options.sandboxUid, gid: this.options.sandboxGid });
  }

  /**
   * Creates a workspace, plans the sandbox from the profile and starts it,
   * or takes all three from the warm pool when the request is the default
   * launch; removes the workspace again if any step fails.
   * @throws LimitReachedError when maxSessions sessions exist or are starting, on the server or for the tenant.
   * @throws ShuttingDownError once the server is shutting down.
   */
  async create(request: NewSessionOptions, tenant: Tenant = ANONYMOUS_TENANT): Promise<Session> {
    this.assertOpen();
    if (this.sessions.size + this.starting >= this.options.maxSessions) {
      recordLimitHit("max_sessions");
      throw new LimitReachedError(`the server already has its maximum of ${this.options.maxSessions} sessions (maxSessions); delete one first`);
    }
    this.assertTenantBelowLimit(tenant);
    this.startingByTenant.set(tenant.name, (this.startingByTenant.get(tenant.name) ?? 0) + 1);
    try {
      return await this.startSession(request, tenant.name);
    } finally {
      const left = this.startingByTenant.get(tenant.name)! - 1;
      if (left === 0) {
        this.startingByTenant.delete(tenant.name);
      } else {
        this.startingByTenant.set(tenant.name, left);
      }
    }
  }

  private assertTenantBelowLimit(tenant: Tenant): void {
    if (tenant.maxSessions === undefined) {
      return;
    }
    const owned = this.list(tenant.name).length + (this.startingByTenant.get(tenant.name) ?? 0);
    if (owned >= tenant.maxSessions) {
      recordLimitHit("tenant_max_sessions");
      throw new LimitReachedError(`tenant ${tenant.name} already has its maximum of ${tenant.maxSessions} sessions (max_sessions in the tenants file); delete one first`);
    }
  }

  private async startSession(request: NewSessionOptions, tenant: string): Promise<Session> {
    const pooled = this.options.warmPool?.take(request);
    if (pooled !== undefined) {
      const { id, workspaceDir, prepared, confinement } = pooled;
      const session = await Session.start(
        { id, tenant, workspaceDir, env: request.env, profileName: request.profile.name, outputBytes: request.outputBytes, safety: request.safety, prepared, confinement },
        this.options,
        pooled,
      );
      if (this.closing) {
        await session.close("shutdown");
        await this.release(confinement);
        await this.removeWorkspace(workspaceDir);
        this.assertOpen();
      }
      this.sessions.set(id, session);
      // TODO: the warm pool's own sandbox starts are not timed in the
      // sandbox-start histogram; recording them where the pool starts its
      // sandboxes would cover them.
      recordSessionCount(1);
      return session;
    }
    this.starting++;
    let workspaceDir: string | undefined;
    let confinement: SessionConfinement | undefined;
    try {
      const spare: PreparedWorkspace | undefined = request.limits === undefined ? undefined : await this.pool?.take(request.limits.diskBytes);
      const id = spare?.id ?? createSessionId();
      workspaceDir = spare?.dir ?? (await this.createWorkspace(id));
      if (request.limits !== undefined) {
        confinement = await this.options.limitEnforcer?.confine(id, workspaceDir, request.limits, { premounted: spare !== undefined });
      }
      const prepared = await this.options.backend.prepare({ workspaceDir, profile: request.profile, pythonEnv: request.pythonEnv });
      const started = performance.now();
      const session = await Session.start(
        { id, tenant, workspaceDir, env: request.env, profileName: request.profile.name, outputBytes: request.outputBytes, safety: request.safety, prepared, confinement },
        this.options,
      ).catch((error: unknown) => {
        recordSandboxStart("failed", performance.now() - started);
        throw error;
      });
      recordSandboxStart("ok", performance.now() - started);
      if (this.closing) {
        await session.close("shutdown");
        this.assertOpen();
      }
      this.sessions.set(id, session);
      recordSessionCount(1);
      return session;
    } catch (error) {
      await this.release(confinement);
      if (workspaceDir !== undefined) {
        await this.removeWorkspace(workspaceDir);
      }
      throw error;
    } finally {
      this.starting--;
      // Later, so that running mount(8), which blocks the event loop while
      // it forks, does not slow the new session's first execution.
      setTimeout(() => this.pool?.refill(), POOL_REFILL_DELAY_MS).unref();
    }
  }

  /** @throws ShuttingDownError once closeAll has been called. */
  assertOpen(): void {
    if (this.closing) {
      throw new ShuttingDownError("the server is shutting down and accepts no new work");
    }
  }

  /**
   * Returns a session, or undefined when it does not exist or, with a
   * tenant given, belongs to another tenant: callers cannot tell the two
   * apart, so no tenant learns which ids another one uses.
   */
  get(id: string, tenant?: string): Session | undefined {
    const session = this.sessions.get(id as SessionId);
    return tenant === undefined || session?.options.tenant === tenant ? session : undefined;
  }

  /** Sessions, oldest first; with a tenant given, only that tenant's. */
  list(tenant?: string): Session[] {
    const sessions = [...this.sessions.values()];
    return tenant === undefined ? sessions : sessions.filter((session) => session.options.tenant === tenant);
  }

  /** Ends a session's processes and removes its workspace. */
  async delete(id: string, reason: StopReason = "session-deleted"): Promise<Session | undefined> {
    const session = this.sessions.get(id as SessionId);
    if (session === undefined) {
      return undefined;
    }
    this.sessions.delete(session.id);
    recordSessionCount(-1);
    await session.close(reason);
    await this.release(session.options.confinement);
    await this.removeWorkspace(session.options.workspaceDir);
    this.pool?.refill();
    return session;
  }

  /** Unmounts a session's workspace tmpfs and removes its cgroup; a failure is logged, because the session is gone either way. */
  private async release(confinement: SessionConfinement | undefined): Promise<void> {
    try {
      await confinement?.release();
    } catch (error) {
      this.logger.error({ err: error }, "failed to release a session's cgroup or workspace mount");
    }
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
  execute(session: Session, task: Task, options: SubmitOptions): Execution {
    const execution = session.submit(task, options);
    this.executions.set(execution.id, { execution, session });
    void execution.done.then(() => {
      const result = execution.result;
      if (result !== undefined) {
        recordExecution(execution.task.kind, ExecutionStatus[result.status].toLowerCase(), Number(result.durationMs));
        for (const limit of listLimitHits(result)) {
          recordLimitHit(limit);
        }
      }
      setTimeout(() => this.executions.delete(execution.id), this.options.finishedRetentionMs).unref();
    });
    return execution;
  }

  /** Returns an execution and its session, or undefined when it expired or, with a tenant given, belongs to another tenant. */
  findExecution(id: string, tenant?: string): { execution: Execution; session: Session } | undefined {
    const found = this.executions.get(id as ExecutionId);
    return tenant === undefined || found?.session.options.tenant === tenant ? found : undefined;
  }

  /** Refuses new work from now on and deletes every session, in parallel, and the spare workspace. */
  async closeAll(reason: StopReason): Promise<void> {
    this.closing = true;
    this.sweeper.stop();
    const warmPool = this.options.warmPool?.close();
    await this.pool?.close();
    const ids = [...this.sessions.keys()];
    const results = await Promise.allSettled(ids.map((id) => this.delete(id, reason)));
    for (const result of results) {
      if (result.status === "rejected") {
        this.logger.error({ err: result.reason }, "failed to close a session");
      }
    }
    await warmPool;
  }
}

/** Returns the directory that contains the workspaces of one server instance. */
export function getWorkspacesDir(instanceDir: string): string {
  return join(instanceDir, "workspaces");
}
