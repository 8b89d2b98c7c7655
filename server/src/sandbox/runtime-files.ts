import { chmod, cp, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";

/** The Python runtime shipped with the server, next to src/ and dist/. */
const RUNTIME_SOURCE_DIR = fileURLToPath(new URL("../../runtime/", import.meta.url));

/**
 * Copies the runtime into a directory of its own that the sandbox user can
 * read, because the server's checkout may live where that user cannot, such
 * as under /root. The copy is byte-compiled once, so that no sandbox pays for
 * compiling it at start.
 */
export async function installRuntime(targetDir: string, python: string): Promise<void> {
  await mkdir(targetDir, { recursive: true, mode: 0o755 });
  await cp(RUNTIME_SOURCE_DIR, targetDir, {
    recursive: true,
    filter: (source) => !source.includes("__pycache__"),
  });
  await execa(python, ["-m", "compileall", "-q", targetDir]);
  await execa("chmod", ["-R", "a+rX,go-w", targetDir]);
  await chmod(targetDir, 0o755);
}
