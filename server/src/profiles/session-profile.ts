import { parseSbpl, type SbplParameters } from "../sbpl/parse.js";
import type { SbplProfile, SbplRule } from "../sbpl/profile.js";

/** Everything a session's profile is built from, after the request was validated and its files loaded. */
export interface ProfileRequest {
  /** Name the session reports: a predefined name, a file name, or "custom". */
  readonly name: string;
  readonly text: string;
  /** Host directories, with symbolic links resolved, that the sandbox may read. */
  readonly additionalReadDirs: readonly string[];
  /** Host directories, with symbolic links resolved, that the sandbox may read and write. */
  readonly additionalWriteDirs: readonly string[];
}

function addedRule(operations: readonly string[], path: string, origin: string): SbplRule {
  return { action: "allow", operations, filter: { kind: "subpath", path }, position: { line: 0, column: 0 }, text: `${origin}: ${path}` };
}

/**
 * Parses a session's profile and appends rules for the additional
 * directories and the Python environment. They come last, so they win over
 * anything the profile says about the same paths.
 * @throws SbplError when the text is not a valid profile.
 */
export function buildSessionProfile(request: ProfileRequest, parameters: SbplParameters, pythonDirs: readonly string[]): SbplProfile {
  const parsed = parseSbpl(request.text, parameters);
  return {
    rules: [
      ...parsed.rules,
      ...pythonDirs.map((dir) => addedRule(["file-read*"], dir, "python_env_path")),
      ...request.additionalReadDirs.map((dir) => addedRule(["file-read*"], dir, "additional_read_dirs")),
      ...request.additionalWriteDirs.map((dir) => addedRule(["file-read*", "file-write*"], dir, "additional_write_dirs")),
    ],
  };
}
