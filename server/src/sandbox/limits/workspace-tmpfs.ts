import { statfsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { execa } from "execa";

const RUN_OPTIONS = { extendEnv: false, env: { LC_ALL: "C" } } as const;

// Running mount(8) takes about 4 ms (measured on a loaded 2-core VM), so the
// session registry mounts workspaces of the default size ahead of time.
/**
 * Mounts a tmpfs of sizeBytes at dir, owned by the sandbox user with mode
 * 0700. The server mounts it on the host, so it outlives the sandboxes of
 * the session, and the kernel fails writes past the size with ENOSPC.
 */
export async function mountWorkspaceTmpfs(dir: string, sizeBytes: number, owner: { uid?: number | undefined; gid?: number | undefined }): Promise<void> {
  const options = [`size=${sizeBytes}`, "mode=0700", "nosuid", "nodev"];
  if (owner.uid !== undefined) {
    options.push(`uid=${owner.uid}`, `gid=${owner.gid ?? owner.uid}`);
  }
  await execa("mount", ["-t", "tmpfs", "-o", options.join(","), "seatbelt-workspace", dir], RUN_OPTIONS);
}

/**
 * Unmounts the tmpfs at dir, which frees its files. A lazy unmount follows
 * when a process still uses it, so that the removal of the workspace never
 * waits on one.
 */
export async function unmountWorkspaceTmpfs(dir: string): Promise<void> {
  const result = await execa("umount", [dir], { ...RUN_OPTIONS, reject: false });
  if (result.exitCode !== 0) {
    await execa("umount", ["--lazy", dir], RUN_OPTIONS);
  }
}

/** Returns the mount points of the tmpfs workspaces below dir, deepest first, from /proc/self/mountinfo. */
export async function findWorkspaceMounts(dir: string): Promise<string[]> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const mounts = mountinfo
    .split("\n")
    .filter((line) => line.includes(" - tmpfs seatbelt-workspace "))
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mountPoint) => mountPoint.startsWith(prefix));
  return mounts.sort((a, b) => b.length - a.length);
}

/** Unmounts every tmpfs workspace below dir, such as those of a server that did not stop cleanly. */
export async function unmountWorkspacesBelow(dir: string): Promise<void> {
  for (const mountPoint of await findWorkspaceMounts(dir)) {
    await unmountWorkspaceTmpfs(mountPoint).catch(() => {});
  }
}

/** Space used in the file system at dir, and whether it is full (no free block or no free inode). */
export function readDiskUse(dir: string): { usedBytes: number; full: boolean } {
  // Synchronous: these are tmpfs mounts, whose statfs never waits on a disk,
  // and a thread-pool round trip per file system would add to every execution.
  const stats = statfsSync(dir);
  return { usedBytes: (stats.blocks - stats.bfree) * stats.bsize, full: stats.bavail === 0 || stats.ffree === 0 };
}
