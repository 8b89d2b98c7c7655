import type { Controller } from "./cgroup-files.js";

/** Controllers that the server uses when the host has them. */
export const CONTROLLERS: readonly Controller[] = ["memory", "pids", "cpu", "cpuacct"];

/** One cgroup file system mount, from /proc/self/mountinfo. */
export interface CgroupMount {
  readonly version: 1 | 2;
  /** Where the hierarchy is mounted. */
  readonly mountPoint: string;
  /** Cgroup path that the mount point shows, "/" unless a subtree is bind-mounted. */
  readonly root: string;
  /** v1 controllers of the hierarchy; empty for v2. */
  readonly controllers: readonly string[];
}

/** Undoes the octal escapes (such as \040 for a space) of paths in /proc/self/mountinfo. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses the cgroup mounts of /proc/self/mountinfo. Each line reads
 * "id parent major:minor root mount-point options [optional...] - type
 * source super-options"; see proc(5).
 */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const [before, after] = line.split(" - ");
    if (before === undefined || after === undefined) {
      continue;
    }
    const fields = before.split(" ");
    const [type, , superOptions = ""] = after.split(" ");
    const root = fields[3];
    const mountPoint = fields[4];
    if (root === undefined || mountPoint === undefined) {
      continue;
    }
    if (type === "cgroup2") {
      mounts.push({ version: 2, mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root), controllers: [] });
    } else if (type === "cgroup") {
      mounts.push({ version: 1, mountPoint: unescapeMountPath(mountPoint), root: unescapeMountPath(root), controllers: superOptions.split(",") });
    }
  }
  return mounts;
}

/** The cgroup of a process, from /proc/PID/cgroup. */
export interface ProcessCgroups {
  /** Path in each v1 hierarchy, by controller name. */
  readonly v1: ReadonlyMap<string, string>;
  /** Path in the unified (v2) hierarchy, when the process has one. */
  readonly v2: string | undefined;
}

/** Parses /proc/PID/cgroup, whose lines read "id:controllers:path"; see cgroups(7). */
export function parseProcessCgroups(text: string): ProcessCgroups {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split("\n")) {
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (match === null) {
      continue;
    }
    const [, id, controllers = "", path = "/"] = match;
    if (id === "0" && controllers === "") {
      v2 = path;
      continue;
    }
    for (const controller of controllers.split(",")) {
      v1.set(controller, path);
    }
  }
  return { v1, v2 };
}

/** Joins a mount and a cgroup path into the directory of that cgroup, or undefined when the mount does not show it. */
export function resolveCgroupDir(mount: CgroupMount, path: string): string | undefined {
  if (mount.root !== "/" && path !== mount.root && !path.startsWith(`${mount.root}/`)) {
    return undefined;
  }
  const relative = mount.root === "/" ? path : path.slice(mount.root.length);
  return `${mount.mountPoint}${relative === "/" ? "" : relative}`;
}

/** Returns the directory of the process's own cgroup for each v1 controller that is mounted. */
export function findV1Dirs(mounts: readonly CgroupMount[], cgroups: ProcessCgroups): Map<Controller, string> {
  const dirs = new Map<Controller, string>();
  for (const controller of CONTROLLERS) {
    const mount = mounts.find((candidate) => candidate.version === 1 && candidate.controllers.includes(controller));
    const path = cgroups.v1.get(controller);
    const dir = mount === undefined || path === undefined ? undefined : resolveCgroupDir(mount, path);
    if (dir !== undefined) {
      dirs.set(controller, dir);
    }
  }
  return dirs;
}
