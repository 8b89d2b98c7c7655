import { statfsSync } from "node:fs";
import type { CgroupSetup } from "./cgroup-hierarchy.js";
import type { LimitCounters } from "./cgroup-files.js";
import type { Rlimits } from "./rlimits.js";
import { type CgroupUsage, SessionCgroup } from "./session-cgroup.js";
import type { SessionLimits } from "./session-limits.js";
import { readDiskUse, unmountWorkspaceTmpfs } from "./workspace-tmpfs.js";

/** Resource use of a session: the cgroup's measures and the workspace's size. */
export interface ResourceUsage extends CgroupUsage {
  readonly diskBytes: number;
}

const NO_USAGE: CgroupUsage = { memoryBytes: 0, memoryPeakBytes: 0, processes: 0, cpuUsec: 0 };

/** Confinement of one session: its limits, its cgroup and its workspace tmpfs. */
export class SessionConfinement {
  private cgroup: SessionCgroup | undefined;
  private mounted = false;

  constructor(
    readonly limits: SessionLimits,
    /** Resource limits that the supervisor sets on itself before it starts any code. */
    readonly rlimits: Rlimits,
    private readonly workspaceDir: string,
  ) {}

  /** Creates the session's cgroup with its limits. */
  async attachCgroup(setup: CgroupSetup, name: string): Promise<void> {
    this.cgroup = await SessionCgroup.create(setup, name, this.limits);
  }

  /** Records that the workspace is a tmpfs of the session's own, to unmount at release. */
  markMounted(): void {
    this.mounted = true;
  }

  /** True when a cgroup counts the session's processes, so counters and kill decisions are exact. */
  get hasCgroup(): boolean {
    return this.cgroup !== undefined;
  }

  /** Moves a process of the sandbox into the session's cgroup; does nothing without one. */
  place(pid: number): void {
    this.cgroup?.place(pid);
  }

  /** Reads the counters that tell which limit was hit; undefined without a cgroup. */
  readCounters(): LimitCounters | undefined {
    return this.cgroup?.readCounters();
  }

  /**
   * Names the size-limited file system that has no room left: the
   * workspace, or the sandbox's /tmp, /var/tmp or /dev/shm, which the server reaches
   * through the root of the sandbox's init process. Undefined when none is full.
   */
  findFullDisk(sandboxInitPid: number | undefined): string | undefined {
    if (!this.mounted) {
      return undefined;
    }
    const candidates: Array<[string, string]> = [["the workspace", this.workspaceDir]];
    if (sandboxInitPid !== undefined) {
      const root = `/proc/${sandboxInitPid}/root`;
      candidates.push(["/tmp", `${root}/tmp`], ["/var/tmp", `${root}/var/tmp`], ["/dev/shm", `${root}/dev/shm`]);
    }
    for (const [name, dir] of candidates) {
      try {
        if (readDiskUse(dir).full) {
          return name;
        }
      } catch {
        // A file system that is gone, as after the sandbox exited, is not full.
      }
    }
    return undefined;
  }

  /** Reads what the session uses now, for GetSession. */
  readUsage(): ResourceUsage {
    const usage = this.cgroup?.readUsage() ?? NO_USAGE;
    let diskBytes = 0;
    try {
      const stats = statfsSync(this.workspaceDir);
      diskBytes = this.mounted ? (stats.blocks - stats.bfree) * stats.bsize : 0;
    } catch {
      // A workspace that is being removed has no size to report.
    }
    return { ...usage, diskBytes };
  }

  /** Unmounts the workspace tmpfs and removes the cgroup, once the sandbox has exited. */
  async release(): Promise<void> {
    if (this.mounted) {
      await unmountWorkspaceTmpfs(this.workspaceDir);
      this.mounted = false;
    }
    await this.cgroup?.remove();
    this.cgroup = undefined;
  }
}
