import { randomBytes } from "node:crypto";
import { chown, mkdir, readdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { unmountWorkspacesBelow } from "./sandbox/limits/workspace-tmpfs.js";
import { removeTree } from "./sessions/workspace.js";

const INSTANCE_DIR_PATTERN = /^(\d+)-[0-9a-f]{8}$/;

/** Tells whether a process with this pid exists, also when it belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the directories of server instances whose process is gone, such
 * as one killed with SIGKILL, which could not remove its own workspaces.
 */
export async function removeStaleInstanceDirs(stateDir: string): Promise<string[]> {
  const names = await readdir(stateDir).catch(() => []);
  const stale = names.filter((name) => {
    const match = INSTANCE_DIR_PATTERN.exec(name);
    return match !== null && Number(match[1]) !== process.pid && !isProcessAlive(Number(match[1]));
  });
  // Workspace tmpfs mounts of a server killed with SIGKILL outlive it.
  await Promise.all(stale.map(async (name) => {
    await unmountWorkspacesBelow(join(stateDir, name));
    await removeTree(join(stateDir, name));
  }));
  return stale;
}

/**
 * Creates a directory that only its owner and the sandbox group may enter
 * (mode 0710). The sandbox user enters it to mount what it contains. Other
 * local users must not reach a workspace, because sandboxed code can leave
 * anything there, a set-user-ID copy of a program included.
 */
export async function createPrivateDir(dir: string, sandboxGid: number | undefined): Promise<void> {
  await mkdir(dir, { mode: 0o710 });
  if (sandboxGid !== undefined) {
    await chown(dir, process.getuid?.() ?? 0, sandboxGid);
  }
}

/**
 * Creates a directory of this server instance's own, named after its process
 * id, so that several servers (tests run many) never share a workspace or a
 * runtime copy, and a later server can tell that it is stale.
 */
export async function createInstanceDir(stateDir: string, sandboxGid: number | undefined): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o711 });
  const dir = join(stateDir, `${process.pid}-${randomBytes(4).toString("hex")}`);
  await createPrivateDir(dir, sandboxGid);
  return dir;
}

/**
 * Checks that a user can reach files below dir, which needs search (x)
 * permission on dir and every directory above it. bubblewrap runs as that
 * user and could not mount the workspaces otherwise.
 * @throws Error naming the first directory that blocks the user, and the fix.
 */
export async function assertSearchableBy(dir: string, uid: number, gid: number): Promise<void> {
  let current = resolve(dir);
  for (;;) {
    const stats = await stat(current);
    let searchBit = 0o001;
    if (stats.uid === uid) {
      searchBit = 0o100;
    } else if (stats.gid === gid) {
      searchBit = 0o010;
    }
    if ((stats.mode & searchBit) === 0) {
      throw new Error(`the sandbox user ${uid} has no search permission on ${current}, which contains the workspaces; run \`chmod o+x ${current}\` or choose another --state-dir`);
    }
    const parent = dirname(current);
    if (parent === current) {
      return;
    }
    current = parent;
  }
}
