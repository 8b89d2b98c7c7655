import { randomBytes } from "node:crypto";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

const INSTANCE_DIR_PATTERN = /^(\d+)-[0-9a-f]{8}$/;

function isProcessAlive(pid: number): boolean {
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
  await Promise.all(stale.map((name) => rm(join(stateDir, name), { recursive: true, force: true })));
  return stale;
}

/**
 * Creates a directory of this server instance's own, named after its process
 * id, so that several servers (tests run many) never share a workspace or a
 * runtime copy, and a later server can tell that it is stale.
 */
export async function createInstanceDir(stateDir: string): Promise<string> {
  await mkdir(stateDir, { recursive: true, mode: 0o711 });
  const dir = join(stateDir, `${process.pid}-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { mode: 0o711 });
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
