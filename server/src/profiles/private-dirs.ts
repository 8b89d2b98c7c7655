import { isSubpath } from "../sbpl/decide.js";
import { PRIVATE_TMP_DIRS } from "../sandbox/bubblewrap/mount-plan.js";

/**
 * Directories that every Linux sandbox replaces with its own file system,
 * so a host directory below them can never be shown in the sandbox.
 */
const REPLACED_DIRS = [...PRIVATE_TMP_DIRS, "/proc", "/dev"] as const;

/**
 * Returns why an additional directory cannot be mounted in a Linux sandbox,
 * or undefined when it can. The directory is an absolute, normalized path.
 */
export function describeReplacedDir(dir: string): string | undefined {
  const root = REPLACED_DIRS.find((replaced) => isSubpath(dir, replaced));
  if (root === undefined) {
    return undefined;
  }
  const mount = root === "/proc" || root === "/dev" ? `its own ${root}` : `a private, empty ${root}`;
  return `the sandbox always mounts ${mount} over the host's, so ${dir} cannot be shown in it; use a directory outside ${REPLACED_DIRS.join(", ")}`;
}
