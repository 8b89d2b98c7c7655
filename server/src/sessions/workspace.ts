import { chown, mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

/**
 * Creates a session's workspace, owned by the sandbox user and closed to
 * everyone else (mode 0700), so that no other local user reads it.
 */
export async function createWorkspace(parentDir: string, name: string, owner: { uid?: number | undefined; gid?: number | undefined }): Promise<string> {
  const dir = join(parentDir, name);
  await mkdir(dir, { mode: 0o700 });
  if (owner.uid !== undefined) {
    await chown(dir, owner.uid, owner.gid ?? owner.uid);
  }
  return dir;
}

/**
 * Removes a directory tree that sandboxed code may have shaped. GNU rm walks
 * the tree relative to open directories, so it copes with paths longer than
 * PATH_MAX (Node's fs.rm fails on them with ENAMETOOLONG), never follows a
 * symbolic link, and stays on the tree's own file system.
 */
export async function removeTree(dir: string): Promise<void> {
  await execa("rm", ["-rf", "--one-file-system", "--", dir], { extendEnv: false, env: { LC_ALL: "C" } });
}

/** Removes everything inside a workspace and keeps the workspace itself, with its owner and mode. */
export async function clearWorkspace(dir: string): Promise<void> {
  const entries = await readdir(dir);
  await Promise.all(entries.map((name) => removeTree(join(dir, name))));
}
