import { chown, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";

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

/** Removes a workspace and everything in it. */
export async function removeWorkspace(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
