import { posix } from "node:path";
import { isSubpath } from "../../sbpl/decide.js";
import { FILE_READ_OPERATIONS, FILE_WRITE_OPERATIONS, operationCovers } from "../../sbpl/operations.js";
import type { ProfileNote, SbplProfile, SbplRule } from "../../sbpl/profile.js";
import type { HostEntry } from "./host-layout.js";
import { PRIVATE_TMP_DIRS, type PathAccess, getPathAccess, listFilterPaths } from "./mount-plan.js";

const ACCESS_RANK: Readonly<Record<PathAccess, number>> = { none: 0, read: 1, write: 2 };

/** Directories whose content no host process can change, so a deny there needs no host path. */
const SANDBOX_ONLY_DIRS = ["/proc", "/dev", ...PRIVATE_TMP_DIRS] as const;

/** Everything noteUnmountableDenies needs: the Linux profile and the host entries of its paths. */
export interface DenyNotesInput {
  readonly profile: SbplProfile;
  readonly hostEntries: ReadonlyMap<string, HostEntry>;
}

/**
 * Lists the file denies that mounts carry out only in part, each with its
 * rule's line. A mask needs a path that exists when the sandbox starts. A
 * denied path that is missing then, under a parent that is shown, stays
 * unmasked until the sandbox is next started, whether the host or the
 * session's own code creates it. A directory named by a `literal`
 * deny cannot be made unlistable while its entries stay reachable, so it can
 * still be listed.
 */
export function noteUnmountableDenies(input: DenyNotesInput): ProfileNote[] {
  const notes: ProfileNote[] = [];
  const seen = new Set<string>();
  const add = (rule: SbplRule, message: string): void => {
    const key = `${rule.position.line}:${rule.position.column}:${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      notes.push({ line: rule.position.line, column: rule.position.column, rule: rule.text, message });
    }
  };
  for (const rule of input.profile.rules) {
    if (rule.action !== "deny" || !coversFileAccess(rule)) {
      continue;
    }
    for (const path of listFilterPaths(rule.filter)) {
      if (SANDBOX_ONLY_DIRS.some((dir) => isSubpath(path, dir))) {
        continue;
      }
      const message = describeUnmountable(input, path);
      if (message !== undefined) {
        add(rule, message);
      }
    }
  }
  return notes;
}

function describeUnmountable(input: DenyNotesInput, path: string): string | undefined {
  const entry = input.hostEntries.get(path);
  const itself = getPathAccess(input.profile, path, "file");
  if (entry === undefined) {
    const own = Math.min(ACCESS_RANK[itself], ACCESS_RANK[getPathAccess(input.profile, path, "directory")]);
    const parent = getPathAccess(input.profile, posix.dirname(path), "directory");
    if (own < ACCESS_RANK[parent]) {
      return `${path} does not exist when the sandbox starts, so this deny is not enforced there: Linux can only mask paths that exist, and a path created later stays ${parent === "write" ? "readable and writable" : "readable"} until the session is restarted`;
    }
    return undefined;
  }
  if (entry.kind === "directory" && ACCESS_RANK[itself] < ACCESS_RANK[getPathAccess(input.profile, path, "directory")]) {
    return `${path} is a directory: Linux cannot deny listing it while its entries stay reachable, so its entries can still be listed`;
  }
  return undefined;
}

function coversFileAccess(rule: SbplRule): boolean {
  const operations = [...FILE_READ_OPERATIONS, ...FILE_WRITE_OPERATIONS];
  return rule.operations.some((name) => operations.some((operation) => operationCovers(name, operation)));
}
