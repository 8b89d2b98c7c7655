import { lstat, readlink, realpath } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * What one path is on the host: a directory, a file (anything else that is
 * not a directory), a symbolic link and its target, or a path whose parent
 * directory is reached through a symbolic link.
 */
export type HostEntry =
  | { readonly kind: "directory" | "file" | "beneath-symlink" }
  | { readonly kind: "symlink"; readonly target: string };

/** Reads what each path is on the host; missing paths are left out of the map. */
export async function readHostEntries(paths: readonly string[]): Promise<Map<string, HostEntry>> {
  const entries = new Map<string, HostEntry>();
  await Promise.all(
    paths.map(async (path) => {
      const stats = await lstat(path).catch(() => undefined);
      if (stats === undefined) {
        return;
      }
      const parent = dirname(path);
      if (path !== "/" && (await realpath(parent).catch(() => parent)) !== parent) {
        entries.set(path, { kind: "beneath-symlink" });
      } else if (stats.isSymbolicLink()) {
        entries.set(path, { kind: "symlink", target: await readlink(path) });
      } else {
        entries.set(path, { kind: stats.isDirectory() ? "directory" : "file" });
      }
    }),
  );
  return entries;
}
