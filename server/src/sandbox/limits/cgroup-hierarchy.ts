import { mkdir, readFile, readdir, rmdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isProcessAlive } from "../../state-dir.js";
import type { CgroupVersion, Controller } from "./cgroup-files.js";
import { type CgroupMount, findV1Dirs, parseCgroupMounts, parseProcessCgroups, resolveCgroupDir } from "./cgroup-mounts.js";

/** Controllers that a v2 hierarchy must delegate before the server uses it. */
const V2_CONTROLLERS = ["memory", "pids", "cpu"] as const;

/** Prefix of the cgroup of each server instance, followed by its instance name. */
const INSTANCE_PREFIX = "seatbelt-";
const STALE_INSTANCE_PATTERN = /^seatbelt-(\d+)-[0-9a-f]{8}$/;

/** The cgroups that one server instance creates its sessions' cgroups in. */
export interface CgroupSetup {
  readonly version: CgroupVersion;
  /** Directory of the instance's cgroup, by controller; in v2 every controller shares one. */
  readonly instanceDirs: ReadonlyMap<Controller, string>;
}

/** Outcome of looking for usable cgroups: a setup, or why there is none. */
export type CgroupDetection = { readonly setup: CgroupSetup; readonly reason: "" } | { readonly setup: undefined; readonly reason: string };

/**
 * Removes the cgroups that servers which did not stop cleanly left in
 * parentDir. Their sandboxes died with them, so the cgroups are empty.
 */
async function removeStaleInstances(parentDir: string): Promise<void> {
  const names = await readdir(parentDir).catch(() => []);
  for (const name of names) {
    const match = STALE_INSTANCE_PATTERN.exec(name);
    if (match === null || Number(match[1]) === process.pid || isProcessAlive(Number(match[1]))) {
      continue;
    }
    await removeCgroupTree(join(parentDir, name)).catch(() => {});
  }
}

/** Removes a cgroup and the cgroups below it, deepest first; cgroups are removed with rmdir, never rm. */
export async function removeCgroupTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) {
      await removeCgroupTree(join(dir, entry.name));
    }
  }
  await rmdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") {
      throw error;
    }
  });
}

async function setUpV1(mounts: readonly CgroupMount[], selfCgroups: ReturnType<typeof parseProcessCgroups>, instanceName: string): Promise<CgroupDetection> {
  const ownDirs = findV1Dirs(mounts, selfCgroups);
  const instanceDirs = new Map<Controller, string>();
  const failures: string[] = [];
  for (const [controller, ownDir] of ownDirs) {
    await removeStaleInstances(ownDir);
    const dir = join(ownDir, `${INSTANCE_PREFIX}${instanceName}`);
    try {
      await mkdir(dir);
      instanceDirs.set(controller, dir);
    } catch (error) {
      failures.push(`${dir}: ${(error as Error).message}`);
    }
  }
  if (instanceDirs.size === 0) {
    const reason = ownDirs.size === 0 ? "no cgroup v1 memory, pids or cpu hierarchy is mounted" : `the server cannot create cgroups (${failures.join("; ")})`;
    return { setup: undefined, reason };
  }
  return { setup: { version: 1, instanceDirs }, reason: "" };
}

/**
 * Enables the controllers for the children of ownDir. The kernel refuses
 * that while ownDir contains processes ("no internal processes" rule), so when
 * the server is the only process there it first moves into a leaf of its own.
 */
async function delegateV2Controllers(ownDir: string): Promise<void> {
  const enable = V2_CONTROLLERS.map((name) => `+${name}`).join(" ");
  try {
    await writeFile(join(ownDir, "cgroup.subtree_control"), enable);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EBUSY") {
      throw error;
    }
  }
  const members = (await readFile(join(ownDir, "cgroup.procs"), "utf8")).split("\n").filter((line) => line !== "");
  if (members.length !== 1 || Number(members[0]) !== process.pid) {
    throw new Error(`${ownDir} contains other processes, so its controllers cannot be enabled for its children`);
  }
  const leaf = join(ownDir, `${INSTANCE_PREFIX}server`);
  await mkdir(leaf).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") {
      throw error;
    }
  });
  await writeFile(join(leaf, "cgroup.procs"), String(process.pid));
  await writeFile(join(ownDir, "cgroup.subtree_control"), enable);
}

async function setUpV2(mount: CgroupMount, path: string, instanceName: string): Promise<CgroupDetection> {
  const ownDir = resolveCgroupDir(mount, path);
  if (ownDir === undefined) {
    return { setup: undefined, reason: "the server's cgroup v2 is not visible under the cgroup2 mount" };
  }
  const available = (await readFile(join(ownDir, "cgroup.controllers"), "utf8").catch(() => "")).split(/\s+/);
  const missing = V2_CONTROLLERS.filter((name) => !available.includes(name));
  if (missing.length > 0) {
    return { setup: undefined, reason: `cgroup v2 does not delegate the ${missing.join(", ")} controller to the server's cgroup ${path}` };
  }
  try {
    await delegateV2Controllers(ownDir);
    await removeStaleInstances(ownDir);
    const dir = join(ownDir, `${INSTANCE_PREFIX}${instanceName}`);
    await mkdir(dir);
    await writeFile(join(dir, "cgroup.subtree_control"), V2_CONTROLLERS.map((name) => `+${name}`).join(" "));
    return { setup: { version: 2, instanceDirs: new Map([...V2_CONTROLLERS, "cpuacct" as const].map((controller) => [controller, dir])) }, reason: "" };
  } catch (error) {
    return { setup: undefined, reason: `the server cannot create cgroups under ${ownDir}: ${(error as Error).message}` };
  }
}

/**
 * Finds the cgroups that the server may create session cgroups in, below its
 * own cgroup so that whatever limits the host puts on the server also cover
 * its sandboxes, and creates the instance's cgroup there. Prefers cgroup v2
 * when it delegates the memory, pids and cpu controllers, else takes each
 * v1 controller that is mounted and writable.
 */
export async function setUpCgroups(instanceName: string): Promise<CgroupDetection> {
  if (process.platform !== "linux") {
    return { setup: undefined, reason: "cgroups exist only on Linux" };
  }
  const [mountinfo, selfText] = await Promise.all([readFile("/proc/self/mountinfo", "utf8"), readFile("/proc/self/cgroup", "utf8")]);
  const mounts = parseCgroupMounts(mountinfo);
  const selfCgroups = parseProcessCgroups(selfText);

  const unified = mounts.find((mount) => mount.version === 2);
  let v2Reason = "no cgroup2 file system is mounted";
  if (unified !== undefined && selfCgroups.v2 !== undefined) {
    const v2 = await setUpV2(unified, selfCgroups.v2, instanceName);
    if (v2.setup !== undefined) {
      return v2;
    }
    v2Reason = v2.reason;
  }
  const v1 = await setUpV1(mounts, selfCgroups, instanceName);
  return v1.setup !== undefined ? v1 : { setup: undefined, reason: `${v2Reason}; ${v1.reason}` };
}

/** Removes the instance's cgroups; every session cgroup below must be empty by then. */
export async function tearDownCgroups(setup: CgroupSetup): Promise<void> {
  await Promise.all([...new Set(setup.instanceDirs.values())].map((dir) => removeCgroupTree(dir)));
}
