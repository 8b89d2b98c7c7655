/** Absolute path of sandbox-exec on every macOS release that ships it. */
export const SANDBOX_EXEC_PATH = "/usr/bin/sandbox-exec";

/** A path that the server cannot write into a profile or an argument safely. */
export class UnsafePathError extends Error {
  constructor(readonly path: string) {
    super(`path ${JSON.stringify(path)} contains a NUL or a newline, which no profile or argument may hold`);
    this.name = "UnsafePathError";
  }
}

/** Rejects a path with a NUL or a newline. */
export function assertSafePath(path: string): string {
  if (/[\0\n\r]/.test(path)) {
    throw new UnsafePathError(path);
  }
  return path;
}

/** Quotes a path as an SBPL string literal: backslashes and double quotes are escaped. */
export function quoteSbplPath(path: string): string {
  return `"${assertSafePath(path).replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** Directories that the server adds to a session's profile on macOS. */
export interface AddedDirs {
  /** The runtime (supervisor.py and its modules), which the sandbox must read. */
  readonly runtimeDir: string;
  readonly readDirs: readonly string[];
  readonly writeDirs: readonly string[];
}

/**
 * Returns the profile text that sandbox-exec gets: the session's profile as
 * written, then rules for the directories the server adds. They come last,
 * so they win over the profile's own rules for the same paths, as on Linux.
 */
export function buildSandboxExecProfile(profileText: string, added: AddedDirs): string {
  const subpaths = (dirs: readonly string[]) => dirs.map((dir) => ` (subpath ${quoteSbplPath(dir)})`).join("");
  const lines = [profileText.endsWith("\n") ? profileText.slice(0, -1) : profileText, "", "; Added by the Seatbelt server."];
  lines.push(`(allow file-read*${subpaths([added.runtimeDir, ...added.readDirs])})`);
  if (added.writeDirs.length > 0) {
    lines.push(`(allow file-read* file-write*${subpaths(added.writeDirs)})`);
  }
  return `${lines.join("\n")}\n`;
}
