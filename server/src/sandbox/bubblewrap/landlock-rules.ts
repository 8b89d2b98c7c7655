import { isSubpath } from "../../sbpl/decide.js";
import type { SbplProfile } from "../../sbpl/profile.js";
import type { HostEntry } from "./host-layout.js";
import { DEV_SHM, PRIVATE_TMP_DIRS, SANDBOX_RUNTIME_DIR, getPathAccess, listPlanPaths } from "./mount-plan.js";

/** Access that one Landlock rule grants beneath its path: reading includes executing, writing includes reading. */
export type LandlockAccess = "read" | "write";

/** One Landlock path-beneath rule, with the path as the sandbox sees it. */
export interface LandlockRule {
  readonly path: string;
  readonly access: LandlockAccess;
}

/** Inputs of deriveLandlockRules: those of planMounts, but not its output. */
export interface LandlockRulesInput {
  /** The profile as bubblewrap enforces it, server rules included. */
  readonly profile: SbplProfile;
  /** Host entry of each path of listPlanPaths; a path without an entry is missing on the host. */
  readonly hostEntries: ReadonlyMap<string, HostEntry>;
  readonly workspaceDir: string;
}

/**
 * Paths that the runtime needs whatever the profile allows, which planMounts
 * mounts for the same reason. The supervisor imports its modules from the
 * runtime directory and reads /proc to find the processes of an execution.
 * Both the supervisor and the interpreter open /dev/null for reading and
 * writing, as the stdin of commands and in place of closed standard streams.
 */
const RUNTIME_RULES: readonly LandlockRule[] = [
  { path: SANDBOX_RUNTIME_DIR, access: "read" },
  { path: "/proc", access: "read" },
  { path: "/dev/null", access: "write" },
];

/**
 * Derives the Landlock rules of a sandbox from its profile: every path that
 * a rule of the profile names is granted what the profile lets the sandbox
 * do beneath it, as getPathAccess judges it for the mounts. The rules come
 * from the profile, not from the mount plan, so that a mistake in the mount
 * plan (a bind that is writable, or a path mounted, against the profile) is
 * still refused by the kernel. Landlock can only grant, so a denied path
 * inside an allowed tree is left to its mount mask.
 *
 * Paths are as the sandbox sees them, which is the host path for every bind.
 * Paths below the private /tmp, /var/tmp and /dev/shm are left out (except
 * the workspace), because those file systems start empty, and so are
 * symbolic links, because decisions apply to resolved paths. Rules that a
 * parent rule already covers are dropped.
 * TODO: reading grants executing, so the strict profile's process-exec rule
 * is not enforced; granting EXECUTE only where process-exec is allowed (the
 * interpreter, and the dynamic loader it needs) would enforce it.
 */
export function deriveLandlockRules(input: LandlockRulesInput): LandlockRule[] {
  const privateDirs: readonly string[] = [...PRIVATE_TMP_DIRS, DEV_SHM];
  const rules: LandlockRule[] = [...RUNTIME_RULES];

  for (const path of listPlanPaths(input.profile, [input.workspaceDir, DEV_SHM])) {
    const belowPrivate = path !== input.workspaceDir && privateDirs.some((dir) => path !== dir && isSubpath(path, dir));
    const kind = privateDirs.includes(path) ? "directory" : input.hostEntries.get(path)?.kind;
    if (belowPrivate || (kind !== "directory" && kind !== "file")) {
      continue;
    }
    const access = getPathAccess(input.profile, path, kind);
    if (access !== "none") {
      rules.push({ path, access });
    }
  }
  return dropCoveredRules(rules);
}

/** Keeps the strongest rule of each path, then drops those that a parent rule grants as much. */
function dropCoveredRules(rules: readonly LandlockRule[]): LandlockRule[] {
  const byPath = new Map<string, LandlockAccess>();
  for (const rule of rules) {
    if (byPath.get(rule.path) !== "write") {
      byPath.set(rule.path, rule.access);
    }
  }
  const sorted = [...byPath].sort(([left], [right]) => left.length - right.length || (left < right ? -1 : 1));
  const kept: LandlockRule[] = [];
  for (const [path, access] of sorted) {
    const covered = kept.some((parent) => isSubpath(path, parent.path) && (parent.access === "write" || access === "read"));
    if (!covered) {
      kept.push({ path, access });
    }
  }
  return kept;
}
