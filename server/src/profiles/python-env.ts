import { access, constants, readFile, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { isSubpath } from "../sbpl/decide.js";

/** A Python installation that a session runs, and the directories it must read. */
export interface PythonEnvironment {
  /** The environment's prefix, with symbolic links resolved. */
  readonly prefix: string;
  /** The interpreter to start, inside the prefix. */
  readonly interpreter: string;
  /** The prefix and, for a virtual environment, its base installation. */
  readonly readableDirs: readonly string[];
}

/** Returns the prefix of an interpreter path such as /usr/bin/python3, which is /usr. */
export function getInterpreterPrefix(interpreter: string): string {
  return dirname(dirname(interpreter));
}

/** Reads the `home` key of a virtual environment's pyvenv.cfg, the bin directory of its base interpreter. */
export function readVenvHome(config: string): string | undefined {
  const match = /^\s*home\s*=\s*(.+?)\s*$/m.exec(config);
  return match?.[1];
}

/**
 * Resolves python_env_path: a virtual environment or a Python prefix that
 * lies, after symbolic links are followed, inside one of the allowed roots
 * and holds bin/python3. Nothing in it is run on the host: the base of a
 * virtual environment comes from its pyvenv.cfg.
 */
export async function resolvePythonEnv(path: string, allowedRoots: readonly string[]): Promise<PythonEnvironment> {
  const shown = JSON.stringify(path);
  if (!isAbsolute(path) || /[\0\n]/.test(path)) {
    throw new ConnectError(`python_env_path ${shown} must be an absolute path without NUL or newline`, Code.InvalidArgument);
  }
  const prefix = await realpath(path).catch(() => undefined);
  if (prefix === undefined) {
    throw new ConnectError(`python_env_path ${shown} not found`, Code.NotFound);
  }
  const roots = (await Promise.all(allowedRoots.map((root) => realpath(root).catch(() => undefined)))).filter((root): root is string => root !== undefined);
  if (!roots.some((root) => isSubpath(prefix, root))) {
    const allowed = allowedRoots.length === 0 ? "none are configured (pythonEnvRoots)" : allowedRoots.join(", ");
    throw new ConnectError(`python_env_path ${shown} is outside the allowed environment roots; allowed: ${allowed}`, Code.PermissionDenied);
  }

  const interpreter = join(prefix, "bin", "python3");
  if (!(await access(interpreter, constants.X_OK).then(() => true, () => false))) {
    throw new ConnectError(`python_env_path ${shown} has no executable bin/python3`, Code.FailedPrecondition);
  }
  const readableDirs = [prefix];
  const venvConfig = await readFile(join(prefix, "pyvenv.cfg"), "utf8").catch(() => undefined);
  const home = venvConfig === undefined ? undefined : readVenvHome(venvConfig);
  if (home !== undefined && isAbsolute(home)) {
    readableDirs.push(dirname(await realpath(home).catch(() => home)));
  }
  const realInterpreter = await realpath(interpreter);
  readableDirs.push(getInterpreterPrefix(realInterpreter));
  return { prefix, interpreter, readableDirs: [...new Set(readableDirs)] };
}
