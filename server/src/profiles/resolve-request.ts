import { lstat, realpath } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { describeReplacedDir } from "./private-dirs.js";
import { type PythonEnvironment, resolvePythonEnv } from "./python-env.js";
import type { ProfileRequest } from "./session-profile.js";
import { type ProfileSource, loadProfile } from "./sources.js";

/** The profile settings of a CreateSessionRequest after validation. */
export interface ProfileSettings {
  readonly source: ProfileSource;
  readonly additionalReadDirs: readonly string[];
  readonly additionalWriteDirs: readonly string[];
  /** Empty for the server's default interpreter. */
  readonly pythonEnvPath: string;
}

/** Server settings that bound what a request may name. */
export interface ProfilePolicy {
  readonly profileDirs: readonly string[];
  readonly pythonEnvRoots: readonly string[];
}

/** Loads the profile, resolves the additional directories and the Python environment. */
export async function resolveProfileSettings(settings: ProfileSettings, policy: ProfilePolicy): Promise<{ profile: ProfileRequest; pythonEnv: PythonEnvironment | undefined }> {
  const [loaded, additionalReadDirs, additionalWriteDirs, pythonEnv] = await Promise.all([
    loadProfile(settings.source, policy.profileDirs),
    resolveDirs(settings.additionalReadDirs, "additional_read_dirs"),
    resolveDirs(settings.additionalWriteDirs, "additional_write_dirs"),
    settings.pythonEnvPath === "" ? undefined : resolvePythonEnv(settings.pythonEnvPath, policy.pythonEnvRoots),
  ]);
  return { profile: { ...loaded, additionalReadDirs, additionalWriteDirs }, pythonEnv };
}

/** Resolves each directory to its real path, so the sandbox mounts what a symbolic link points to under that name. */
// TODO: any other existing host directory is accepted, even "/", so every
// caller can mount what the sandbox user may read. An operator setting of
// allowed roots, checked here against the resolved path as profileDirs is,
// would let a server limit it.
async function resolveDirs(dirs: readonly string[], field: string): Promise<string[]> {
  return Promise.all(
    dirs.map(async (dir) => {
      const shown = JSON.stringify(dir);
      if (!isAbsolute(dir)) {
        throw new ConnectError(`${field} entry ${shown} must be an absolute path`, Code.InvalidArgument);
      }
      const resolved = await realpath(dir).catch(() => undefined);
      if (resolved === undefined || !(await lstat(resolved)).isDirectory()) {
        throw new ConnectError(`${field} entry ${shown} is not an existing directory`, Code.InvalidArgument);
      }
      // Both names are checked: the sandbox mounts the resolved one, and the
      // request names the other.
      const replaced = process.platform === "linux" ? (describeReplacedDir(dir) ?? describeReplacedDir(resolved)) : undefined;
      if (replaced !== undefined) {
        throw new ConnectError(`${field} entry ${shown} is rejected: ${replaced}`, Code.InvalidArgument);
      }
      return resolved;
    }),
  );
}
