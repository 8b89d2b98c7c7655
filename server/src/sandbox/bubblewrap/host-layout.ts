import { lstat, readlink } from "node:fs/promises";

/**
 * Top-level system paths that the default profile makes readable. On a
 * merged-/usr system most of them are symbolic links into /usr, which the
 * sandbox must reproduce as links rather than mount.
 */
export const SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt"] as const;

/** Kind of one system path on the host: a directory, or a symbolic link and its target. */
export type HostEntry = { readonly path: string; readonly kind: "directory" } | { readonly path: string; readonly kind: "symlink"; readonly target: string };

/** Reads which system paths exist on this host and which are symbolic links. */
export async function readHostLayout(paths: readonly string[] = SYSTEM_PATHS): Promise<HostEntry[]> {
  const entries: HostEntry[] = [];
  for (const path of paths) {
    const stats = await lstat(path).catch(() => undefined);
    if (stats === undefined) {
      continue;
    }
    if (stats.isSymbolicLink()) {
      entries.push({ path, kind: "symlink", target: await readlink(path) });
    } else if (stats.isDirectory()) {
      entries.push({ path, kind: "directory" });
    }
  }
  return entries;
}
