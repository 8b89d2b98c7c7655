import type { PythonEnvironment } from "../../profiles/python-env.js";
import { getInterpreterPrefix } from "../../profiles/python-env.js";
import type { ProfileRequest } from "../../profiles/session-profile.js";
import { parseSbpl } from "../../sbpl/parse.js";
import { buildSandboxExecArgs } from "./plan.js";
import { buildSandboxExecProfile } from "./profile-text.js";

/** Everything the sandbox-exec command line of one session depends on. */
export interface SandboxExecSessionInput {
  readonly profile: ProfileRequest;
  readonly pythonEnv: PythonEnvironment | undefined;
  /** Default interpreter of sessions that name no Python environment. */
  readonly defaultPython: string;
  readonly workspaceDir: string;
  /** The session's own temporary directory on the host, which macOS cannot make private. */
  readonly tmpDir: string;
  readonly runtimeDir: string;
}

/**
 * Plans one macOS session: the same parameters as on Linux, with TMPDIR the
 * session's own temporary directory, and the profile as written plus the
 * directories the server adds. The profile is parsed first, so a malformed
 * one is rejected with its line and column before anything starts.
 * @throws SbplError for an invalid profile, UnsafePathError for a path with a NUL or a newline.
 */
export function planSandboxExecSession(input: SandboxExecSessionInput): string[] {
  const python = input.pythonEnv?.interpreter ?? input.defaultPython;
  const parameters = {
    WORKSPACE: input.workspaceDir,
    TMPDIR: input.tmpDir,
    HOME: input.workspaceDir,
    PYTHON_ENV: input.pythonEnv?.prefix ?? getInterpreterPrefix(python),
    PYTHON: python,
  };
  parseSbpl(input.profile.text, parameters);

  const profileText = buildSandboxExecProfile(input.profile.text, {
    runtimeDir: input.runtimeDir,
    readDirs: [...(input.pythonEnv?.readableDirs ?? []), ...input.profile.additionalReadDirs],
    writeDirs: input.profile.additionalWriteDirs,
  });
  return buildSandboxExecArgs({ profileText, parameters, python, runtimeDir: input.runtimeDir });
}
