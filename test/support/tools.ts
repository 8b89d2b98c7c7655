import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Root of the repository. */
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Directory where scripts/setup-tools.sh installs grpcurl, the Go plugins and the Python venv. */
export const TOOLS_DIR = process.env.SEATBELT_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "seatbelt-tools");

/** Environment with the installed tools first on PATH. */
export function getToolsEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${join(TOOLS_DIR, "bin")}:${join(TOOLS_DIR, "python", "bin")}:${process.env.PATH ?? ""}` };
}

/** Address that the README's examples use; tests replace it with their server's. */
export const README_ADDRESS = "127.0.0.1:50051";

/**
 * Returns the shell block of README.md that follows the marker
 * `<!-- example: NAME -->`, so that tests run the commands as documented.
 */
export function readReadmeExample(name: string): string {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const match = new RegExp(`<!-- example: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (match === null) {
    throw new Error(`README.md has no shell block after <!-- example: ${name} -->`);
  }
  return match[1]!;
}
