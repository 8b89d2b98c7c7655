import { readFileSync, writeFileSync } from "node:fs";
import { access, mkdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { COUNTER_FILES, type CgroupVersion, type Controller, type LimitCounters, USAGE_FILES, buildCgroupWrites, parseKeyedValue, parseSingleValue } from "./cgroup-files.js";
import type { CgroupSetup } from "./cgroup-hierarchy.js";
import type { SessionLimits } from "./session-limits.js";

/** Times that remove() tries rmdir while the last processes of a killed sandbox finish exiting. @default 50 */
const REMOVE_ATTEMPTS = 50;
/** @default 20 */
const REMOVE_RETRY_MS = 20;

/** Resource use of a session as its cgroup measures it; 0 where the host has no controller for it. */
export interface CgroupUsage {
  readonly memoryBytes: number;
  readonly memoryPeakBytes: number;
  readonly processes: number;
  readonly cpuUsec: number;
}

/** The cgroup of one session, in every hierarchy that the server uses. */
export class SessionCgroup {
  private constructor(
    readonly version: CgroupVersion,
    private readonly dirs: ReadonlyMap<Controller, string>,
  ) {}

  /**
   * Creates the session's cgroup below the instance's and writes its limits.
   * A limit that cannot be written is an error, because the session would
   * otherwise run without it.
   */
  static async create(setup: CgroupSetup, name: string, limits: SessionLimits): Promise<SessionCgroup> {
    const dirs = new Map([...setup.instanceDirs].map(([controller, instanceDir]) => [controller, join(instanceDir, name)]));
    await Promise.all([...new Set(dirs.values())].map((dir) => mkdir(dir)));
    const cgroup = new SessionCgroup(setup.version, dirs);
    try {
      for (const write of buildCgroupWrites(setup.version, limits)) {
        const dir = dirs.get(write.controller);
        if (dir === undefined) {
          throw new Error(`the ${write.controller} controller is not available`);
        }
        const file = join(dir, write.file);
        if (write.optional && !(await access(file).then(() => true, () => false))) {
          continue;
        }
        await writeFile(file, write.value);
      }
    } catch (error) {
      await cgroup.remove();
      throw error;
    }
    return cgroup;
  }

  /**
   * Moves a process into the session's cgroup in every hierarchy. It is
   * synchronous on purpose: the caller places a sandbox's processes before
   * it lets the sandbox run code, and no other work may interleave.
   */
  place(pid: number): void {
    for (const dir of new Set(this.dirs.values())) {
      writeFileSync(join(dir, "cgroup.procs"), String(pid));
    }
  }

  /**
   * Reads the counters that tell whether a limit was hit; missing files read
   * as 0. Synchronous, so that the value read as an execution starts is
   * from before it started even when the event loop is busy.
   */
  readCounters(): LimitCounters {
    const files = COUNTER_FILES[this.version];
    const read = (entry: { controller: Controller; file: string; key: string }) => parseKeyedValue(this.readControlFile(entry.controller, entry.file), entry.key);
    return { oomKills: read(files.oomKills), forkFailures: read(files.forkFailures) };
  }

  /** Reads a control file; cgroup files live in memory, so this does not block on a disk. Missing files read as "". */
  private readControlFile(controller: Controller, file: string): string {
    const dir = this.dirs.get(controller);
    try {
      return dir === undefined ? "" : readFileSync(join(dir, file), "utf8");
    } catch {
      return "";
    }
  }

  /** Reads what the session uses now. Synchronous, because cgroup files are in memory and GetSession returns at once. */
  readUsage(): CgroupUsage {
    const usage = {} as Record<keyof CgroupUsage, number>;
    for (const [name, entry] of Object.entries(USAGE_FILES[this.version]) as Array<[keyof CgroupUsage, (typeof USAGE_FILES)[1]["memoryBytes"]]>) {
      // Files that this kernel lacks, such as memory.peak before Linux 5.19, read as 0.
      const text = this.readControlFile(entry.controller, entry.file);
      const value = entry.key === undefined ? parseSingleValue(text) : parseKeyedValue(text, entry.key);
      usage[name] = Math.round(value * (entry.scale ?? 1));
    }
    return usage;
  }

  /**
   * Removes the cgroup. The kernel refuses while a process is still in it,
   * which can last a moment after a sandbox was killed, so it retries.
   */
  async remove(): Promise<void> {
    for (const dir of new Set(this.dirs.values())) {
      for (let attempt = 1; ; attempt++) {
        try {
          await rmdir(dir);
          break;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT") {
            break;
          }
          if (code !== "EBUSY" || attempt >= REMOVE_ATTEMPTS) {
            throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, REMOVE_RETRY_MS));
        }
      }
    }
  }
}
