import { decide, isSubpath } from "../../sbpl/decide.js";
import { FILE_READ_OPERATIONS, FILE_WRITE_OPERATIONS } from "../../sbpl/operations.js";
import type { ProfileNote, SbplFilter, SbplProfile } from "../../sbpl/profile.js";
import type { HostEntry } from "./host-layout.js";

/** The shared-memory directory, the one place in /dev where the sandbox may create files. */
export const DEV_SHM = "/dev/shm";

/** Mount point of the runtime directory inside every sandbox. */
export const SANDBOX_RUNTIME_DIR = "/run/seatbelt";

/** Directories that every sandbox gets as a private, empty tmpfs instead of the host's. */
export const PRIVATE_TMP_DIRS = ["/tmp", "/var/tmp"] as const;

/**
 * Links that merged-/usr systems have at the top level. They grant nothing
 * by themselves, because decisions apply to the resolved path, so the
 * sandbox always gets them and the profile decides about their targets.
 */
export const SYSTEM_LINK_PATHS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] as const;

/**
 * Mode of the empty tmpfs that masks a denied directory: it cannot be
 * listed, but it can be passed through to reach an allowed path below it.
 */
export const MASK_DIRECTORY_MODE = 0o111;

/** One bubblewrap mount option, in the order it must be applied. */
export type MountStep =
  | { readonly kind: "ro-bind" | "bind"; readonly source: string; readonly target: string }
  | { readonly kind: "tmpfs"; readonly target: string; readonly mode: number | undefined }
  | { readonly kind: "symlink"; readonly linkTarget: string; readonly path: string }
  | { readonly kind: "proc" | "dev"; readonly target: string }
  | { readonly kind: "remount-ro"; readonly target: string };

/** Access of the sandbox below one path, in the terms that mounts can express. */
export type PathAccess = "none" | "read" | "write";

/** Everything the mount plan of one session depends on. */
export interface MountPlanInput {
  /** The profile, already adapted to Linux paths. */
  readonly profile: SbplProfile;
  /** Host entry of each path of listPlanPaths; a path without an entry is missing on the host. */
  readonly hostEntries: ReadonlyMap<string, HostEntry>;
  readonly workspaceDir: string;
  /** Host directory of the runtime, mounted read-only at SANDBOX_RUNTIME_DIR. */
  readonly runtimeDir: string;
  /** A host file with no content and mode 000, bound over files that must be hidden. */
  readonly emptyFile: string;
}

/** Mounts in the order to apply them, and notes on what differs from the profile. */
export interface MountPlan {
  readonly steps: readonly MountStep[];
  readonly notes: readonly ProfileNote[];
}

type Layer = "host-read" | "host-write" | "empty";

/** Returns every path that a file rule of the profile names. */
export function listRulePaths(profile: SbplProfile): string[] {
  return profile.rules.flatMap((rule) => listFilterPaths(rule.filter));
}

/** Returns the paths that one filter names, in any of its parts. */
export function listFilterPaths(filter: SbplFilter | undefined): string[] {
  if (filter === undefined) {
    return [];
  }
  switch (filter.kind) {
    case "subpath":
    case "literal":
    case "prefix":
      return [filter.path];
    case "require-all":
    case "require-any":
      return filter.filters.flatMap(listFilterPaths);
    case "require-not":
      return listFilterPaths(filter.filter);
    default:
      return [];
  }
}

/** Returns the paths whose host entries the plan needs, shortest first. */
export function listPlanPaths(profile: SbplProfile, fixedPaths: readonly string[]): string[] {
  const unique = new Set(["/", ...SYSTEM_LINK_PATHS, ...PRIVATE_TMP_DIRS, "/proc", "/dev", "/run", ...fixedPaths, ...listRulePaths(profile)]);
  return [...unique].sort(comparePaths);
}

function comparePaths(left: string, right: string): number {
  const depth = (path: string) => (path === "/" ? 0 : path.split("/").length - 1);
  const byDepth = depth(left) - depth(right);
  if (byDepth !== 0) {
    return byDepth;
  }
  if (left === right) {
    return 0;
  }
  return left < right ? -1 : 1;
}

/**
 * Returns what the profile lets the sandbox do with a path. A directory is
 * judged by the decisions below it, so a `literal` rule on the directory itself
 * does not change its mount. Linux grants reading only with metadata and
 * writing only all at once, so each needs every operation of its family.
 */
export function getPathAccess(profile: SbplProfile, path: string, kind: "directory" | "file"): PathAccess {
  const probe = kind === "directory" ? `${path === "/" ? "" : path}/\0` : path;
  const readable = FILE_READ_OPERATIONS.every((operation) => decide(profile, operation, probe) === "allow");
  const writable = FILE_WRITE_OPERATIONS.every((operation) => decide(profile, operation, probe) === "allow");
  if (!readable) {
    return "none";
  }
  return writable ? "write" : "read";
}

/**
 * Turns a Linux profile into bubblewrap mounts. Paths are applied from the
 * shortest to the longest, and each one is mounted only where its access
 * differs from what its closest mounted parent already shows: readable
 * subtrees are bound read-only, writable ones read-write, and denied ones
 * under a shown parent are masked (an empty tmpfs of mode 0111 for a
 * directory, an empty file of mode 000 for a file). Masks are made
 * read-only at the end, after bubblewrap has created the mount points of
 * deeper paths in them.
 */
export function planMounts(input: MountPlanInput): MountPlan {
  const steps: MountStep[] = [];
  const lateRemounts: MountStep[] = [];
  const notes: ProfileNote[] = [];
  const layers = new Map<string, Layer>();
  const layerAbove = (path: string): Layer | undefined => {
    let best: { path: string; layer: Layer } | undefined;
    for (const [mounted, layer] of layers) {
      if (mounted !== path && isSubpath(path, mounted) && (best === undefined || mounted.length > best.path.length)) {
        best = { path: mounted, layer };
      }
    }
    return best?.layer;
  };
  const accessOf = (path: string, kind: "directory" | "file"): PathAccess => getPathAccess(input.profile, path, kind);
  const mask = (path: string, kind: "directory" | "file"): void => {
    if (kind === "file") {
      steps.push({ kind: "ro-bind", source: input.emptyFile, target: path });
    } else {
      steps.push({ kind: "tmpfs", target: path, mode: MASK_DIRECTORY_MODE });
      lateRemounts.push({ kind: "remount-ro", target: path });
    }
    layers.set(path, "empty");
  };

  const paths = listPlanPaths(input.profile, [input.workspaceDir]);
  for (const path of paths) {
    const above = layerAbove(path);
    const hostBacked = above === "host-read" || above === "host-write";
    const entry = input.hostEntries.get(path);

    if (path === "/proc" || path === "/dev") {
      steps.push({ kind: path === "/proc" ? "proc" : "dev", target: path });
      layers.set(path, "empty");
      if (accessOf(path, "directory") === "none") {
        notes.push(wholeProfileNote(`${path} is mounted although the profile does not allow reading it, because the runtime needs it`));
      }
      if (path === "/dev") {
        planDevShm(accessOf(DEV_SHM, "directory"), steps, lateRemounts);
      }
      if (path === "/proc" && decide(input.profile, "sysctl-read") !== "allow") {
        steps.push({ kind: "tmpfs", target: "/proc/sys", mode: MASK_DIRECTORY_MODE });
        lateRemounts.push({ kind: "remount-ro", target: "/proc/sys" });
      }
      continue;
    }
    if ((PRIVATE_TMP_DIRS as readonly string[]).includes(path)) {
      const access = accessOf(path, "directory");
      if (access === "none") {
        if (hostBacked) {
          mask(path, "directory");
        }
        continue;
      }
      steps.push({ kind: "tmpfs", target: path, mode: undefined });
      if (access === "read") {
        lateRemounts.push({ kind: "remount-ro", target: path });
      }
      layers.set(path, "empty");
      continue;
    }
    if (path === "/run") {
      // The runtime's mount point cannot be created inside a read-only host
      // directory, so a host /run that the profile shows is replaced.
      if (hostBacked) {
        steps.push({ kind: "tmpfs", target: path, mode: 0o755 });
        lateRemounts.push({ kind: "remount-ro", target: path });
        layers.set(path, "empty");
        notes.push(wholeProfileNote("/run is an empty directory that holds the runtime, although the profile allows reading the host's /run"));
      }
      continue;
    }
    // Paths below the private and kernel file systems have no host content
    // to show, except the workspace, which may lie in the host's /tmp.
    const belowPrivate = path !== input.workspaceDir && isBelowAny(path, ["/proc", "/dev", ...PRIVATE_TMP_DIRS]);
    if (belowPrivate || entry === undefined) {
      continue;
    }
    if (entry.kind === "symlink") {
      if (!hostBacked) {
        steps.push({ kind: "symlink", linkTarget: entry.target, path });
      }
      continue;
    }
    if (entry.kind === "beneath-symlink") {
      notes.push(wholeProfileNote(`${path} lies beneath a symbolic link on this host; decisions apply to resolved paths, so nothing is mounted there`));
      continue;
    }

    // TODO: a read-only bind still lets code connect to a Unix socket in a
    // readable subtree, which sandbox-exec would judge as network-outbound;
    // masking sockets found under readable paths would close that.
    const access = accessOf(path, entry.kind);
    const current: Layer | undefined = hostBacked ? above : undefined;
    if (access === "none") {
      if (hostBacked) {
        mask(path, entry.kind);
      }
    } else if (access === "read" && current !== "host-read") {
      steps.push({ kind: "ro-bind", source: path, target: path });
      layers.set(path, "host-read");
    } else if (access === "write" && current !== "host-write") {
      steps.push({ kind: "bind", source: path, target: path });
      layers.set(path, "host-write");
    }
  }

  steps.push({ kind: "ro-bind", source: input.runtimeDir, target: SANDBOX_RUNTIME_DIR });
  return { steps: [...steps, ...lateRemounts.reverse()], notes };
}

/**
 * bubblewrap's /dev is a tmpfs with no size, so files written there would
 * escape the disk limit. It is made read-only (devices stay usable, since
 * writing to a device node does not modify the file system), and /dev/shm,
 * which Python's multiprocessing needs, gets its own tmpfs, which the
 * command line sizes like /tmp.
 */
function planDevShm(access: PathAccess, steps: MountStep[], lateRemounts: MountStep[]): void {
  lateRemounts.push({ kind: "remount-ro", target: "/dev" });
  if (access === "none") {
    return;
  }
  steps.push({ kind: "tmpfs", target: DEV_SHM, mode: undefined });
  if (access === "read") {
    lateRemounts.push({ kind: "remount-ro", target: DEV_SHM });
  }
}

function isBelowAny(path: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => path !== dir && isSubpath(path, dir));
}

function wholeProfileNote(message: string): ProfileNote {
  return { line: 0, column: 0, rule: "", message };
}
