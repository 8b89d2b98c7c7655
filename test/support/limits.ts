import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { findV1Dirs, parseCgroupMounts, parseProcessCgroups, resolveCgroupDir } from "../../server/src/sandbox/limits/cgroup-mounts.js";

async function isWritable(path: string): Promise<boolean> {
  return access(path, constants.W_OK).then(
    () => true,
    () => false,
  );
}

/**
 * Finds which cgroup controllers the server will be able to use on this
 * machine, the way it looks for them itself: below its own cgroup, in v2 when
 * delegated, else in the v1 hierarchies.
 */
async function probeControllers(): Promise<Set<string>> {
  if (process.platform !== "linux" || process.getuid?.() !== 0) {
    return new Set();
  }
  const mounts = parseCgroupMounts(await readFile("/proc/self/mountinfo", "utf8"));
  const self = parseProcessCgroups(await readFile("/proc/self/cgroup", "utf8"));
  const unified = mounts.find((mount) => mount.version === 2);
  const v2Dir = unified === undefined || self.v2 === undefined ? undefined : resolveCgroupDir(unified, self.v2);
  if (v2Dir !== undefined) {
    const controllers = (await readFile(`${v2Dir}/cgroup.controllers`, "utf8").catch(() => "")).split(/\s+/);
    if (["memory", "pids", "cpu"].every((name) => controllers.includes(name))) {
      return new Set(["memory", "pids", "cpu"]);
    }
  }
  const available = new Set<string>();
  for (const [controller, dir] of findV1Dirs(mounts, self)) {
    if (await isWritable(dir)) {
      available.add(controller);
    }
  }
  return available;
}

const controllers = await probeControllers();

/** What this machine offers for enforcing limits, so that tests of a mechanism can be skipped visibly where it is missing. */
export const limitSupport = {
  /** A memory cgroup enforces memory_bytes. */
  memoryCgroup: controllers.has("memory"),
  /** A pids cgroup enforces max_processes. */
  pidsCgroup: controllers.has("pids"),
  /** A cpu cgroup enforces cpu_millicores. */
  cpuCgroup: controllers.has("cpu"),
  /** The server runs as root, so it can mount the workspace tmpfs. */
  workspaceTmpfs: process.platform === "linux" && process.getuid?.() === 0,
};

/** Returns the directory of a process's cgroup in a v1 controller's hierarchy, or in v2. */
export async function findProcessCgroupDir(pid: number, controller: string): Promise<string | undefined> {
  const mounts = parseCgroupMounts(await readFile("/proc/self/mountinfo", "utf8"));
  const cgroups = parseProcessCgroups(await readFile(`/proc/${pid}/cgroup`, "utf8"));
  const v1 = findV1Dirs(mounts, cgroups).get(controller as "memory");
  if (v1 !== undefined) {
    return v1;
  }
  const unified = mounts.find((mount) => mount.version === 2);
  return unified === undefined || cgroups.v2 === undefined ? undefined : resolveCgroupDir(unified, cgroups.v2);
}

/** Returns the pids of the processes in a cgroup directory. */
export async function readCgroupProcs(dir: string): Promise<number[]> {
  const text = await readFile(`${dir}/cgroup.procs`, "utf8").catch(() => "");
  // cgroup v1 may list a process more than once while it forks or exits.
  const pids = new Set(
    text
      .split("\n")
      .filter((line) => line !== "")
      .map(Number),
  );
  return [...pids];
}
