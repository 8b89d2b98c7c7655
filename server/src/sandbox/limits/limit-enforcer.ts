import type { Limits } from "../../gen/seatbelt/v1/session_pb.js";
import type { Controller } from "./cgroup-files.js";
import { type CgroupSetup, setUpCgroups, tearDownCgroups } from "./cgroup-hierarchy.js";
import { describeEnforcement, type LimitDescription } from "./enforcement.js";
import { buildRlimits } from "./rlimits.js";
import { SessionConfinement } from "./session-confinement.js";
import { type EnforcementMap, type LimitPolicy, type Mechanism, type SessionLimits, resolveSessionLimits } from "./session-limits.js";
import { mountWorkspaceTmpfs } from "./workspace-tmpfs.js";

/** Settings of the server that decide how limits are enforced. */
export interface LimitEnforcerOptions {
  /** Name of the server instance, which names its cgroup. */
  readonly instanceName: string;
  readonly cgroups: "auto" | "off";
  readonly policy: LimitPolicy;
  /** Owner of the workspaces: the sandbox user. */
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

function cgroupMechanism(setup: CgroupSetup | undefined, controller: Controller): Mechanism | undefined {
  if (setup?.instanceDirs.has(controller) !== true) {
    return undefined;
  }
  return setup.version === 2 ? "cgroup-v2" : "cgroup-v1";
}

/**
 * Decides how each limit is enforced on this host. Memory and processes fall
 * back to rlimits without cgroups. A CPU share needs the cpu controller, and
 * the workspace size needs a tmpfs mount, which needs root.
 */
export function buildEnforcementMap(setup: CgroupSetup | undefined, canMount: boolean): EnforcementMap {
  return {
    memoryBytes: cgroupMechanism(setup, "memory") ?? "rlimit",
    maxProcesses: cgroupMechanism(setup, "pids") ?? "rlimit",
    cpuMillicores: cgroupMechanism(setup, "cpu") ?? "none",
    diskBytes: canMount ? "tmpfs" : "none",
    openFiles: "rlimit",
    fileSizeBytes: "rlimit",
  };
}

/** The server's side of resource limits: resolves each session's limits and confines its sandbox. */
export class LimitEnforcer {
  private constructor(
    private readonly options: LimitEnforcerOptions,
    private readonly setup: CgroupSetup | undefined,
    /** Reason that cgroups are not used, for GetServerInfo; empty when they are. */
    private readonly cgroupReason: string,
    readonly enforcement: EnforcementMap,
  ) {}

  /** Finds the mechanisms of this host and creates the instance's cgroups. */
  static async create(options: LimitEnforcerOptions): Promise<LimitEnforcer> {
    const detection = options.cgroups === "off" ? { setup: undefined, reason: "cgroups are turned off in the server's configuration" } : await setUpCgroups(options.instanceName);
    const canMount = process.platform === "linux" && process.getuid?.() === 0;
    return new LimitEnforcer(options, detection.setup, detection.reason, buildEnforcementMap(detection.setup, canMount));
  }

  /** Turns a request's limits into the session's. @throws ConnectError for a limit out of range or not enforceable here. */
  resolve(requested: Limits | undefined): SessionLimits {
    return resolveSessionLimits(requested, this.options.policy, this.enforcement);
  }

  /** Describes each limit for GetServerInfo. */
  describe(): LimitDescription[] {
    return describeEnforcement(this.enforcement, this.options.policy, this.cgroupReason);
  }

  /** Workspace size of a session that requests none; 0 when workspaces are not size-limited here. */
  get defaultDiskBytes(): number {
    return this.enforcement.diskBytes === "none" ? 0 : this.options.policy.defaults.diskBytes;
  }

  /** Mounts a workspace tmpfs of sizeBytes at dir, owned by the sandbox user. */
  async mountWorkspace(dir: string, sizeBytes: number): Promise<void> {
    await mountWorkspaceTmpfs(dir, sizeBytes, this.options);
  }

  /**
   * Creates a session's cgroup and mounts its workspace tmpfs, unless the
   * workspace was mounted ahead with the session's size. Undoes what it did
   * when a step fails, because a session must not start without its limits.
   */
  async confine(name: string, workspaceDir: string, limits: SessionLimits, { premounted = false } = {}): Promise<SessionConfinement> {
    const confinement = new SessionConfinement(limits, buildRlimits(limits, this.enforcement), workspaceDir);
    if (premounted) {
      confinement.markMounted();
    }
    const steps = await Promise.allSettled([
      this.setup === undefined ? undefined : confinement.attachCgroup(this.setup, name),
      limits.diskBytes > 0 && !premounted ? this.mountWorkspace(workspaceDir, limits.diskBytes).then(() => confinement.markMounted()) : undefined,
    ]);
    const failure = steps.find((step) => step.status === "rejected");
    if (failure !== undefined) {
      await confinement.release();
      throw failure.reason;
    }
    return confinement;
  }

  /** Removes the instance's cgroups once every session is gone. */
  async close(): Promise<void> {
    if (this.setup !== undefined) {
      await tearDownCgroups(this.setup);
    }
  }
}
