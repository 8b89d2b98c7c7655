import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { SeatbeltSession } from "../../../client/src/index.js";
import { runAttackScript } from "./attacks.js";

/** A secret file planted on the host, world-readable so that only the sandbox's mounts hide it. */
export interface PlantedSecret {
  readonly dir: string;
  readonly path: string;
  readonly value: string;
}

/** True when the tests run as root, which planting under /root and /srv needs. */
export const IS_ROOT = process.getuid?.() === 0;

/** Writes a secret in a new directory below parentDir, with modes that let any user read it. */
export async function plantSecret(parentDir: string): Promise<PlantedSecret> {
  const dir = await mkdtemp(join(parentDir, "seatbelt-escape-"));
  await chmod(dir, 0o755);
  const path = join(dir, "secret.txt");
  const value = `secret-${randomBytes(16).toString("hex")}`;
  await writeFile(path, `${value}\n`, { mode: 0o644 });
  return { dir, path, value };
}

/** Returns the reason to skip an attack that plants below parentDir, or undefined when it can run. */
export function explainPlantSkip(parentDir: string): string | undefined {
  if (!IS_ROOT) {
    return "planting below system directories needs root";
  }
  return existsSync(parentDir) ? undefined : `${parentDir} does not exist`;
}

/** Host directory of the server instance that owns a workspace: <instance>/workspaces/<session>. */
export function getInstanceDir(workspaceDir: string): string {
  return dirname(dirname(workspaceDir));
}

/**
 * Reads each path from inside the sandbox and returns, by path, the errno
 * name of the failure or "read: <content>" when the read succeeded.
 */
export async function readInSandbox(session: SeatbeltSession, paths: readonly string[]): Promise<Record<string, string>> {
  return runAttackScript(
    session,
    `
def read(path):
    if os.path.isdir(path):
        return "listed: " + " ".join(sorted(os.listdir(path)))
    with open(path) as handle:
        return "read: " + handle.read()
RESULTS = {path: attempt(lambda: read(path)) for path in ${JSON.stringify(paths)}}
`,
  );
}

/** Describes read results for the table without printing file contents, flagging any that leaked the secret. */
export function describeReads(results: Record<string, string>, secret: string): string {
  const outcomes = Object.values(results).map((outcome) => {
    if (outcome.includes(secret)) {
      return "SECRET READ";
    }
    if (outcome.startsWith("listed: ")) {
      return `listed [${outcome.slice("listed: ".length)}]`;
    }
    return outcome.startsWith("read: ") ? "read" : outcome;
  });
  return summarize(outcomes);
}

/** Counts equal outcomes, as "ENOENT x3, EACCES". */
export function summarize(outcomes: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const outcome of outcomes) {
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  return [...counts].map(([outcome, count]) => (count === 1 ? outcome : `${outcome} x${count}`)).join(", ");
}
