import { SANDBOX_EXEC_PATH, assertSafePath } from "./profile-text.js";

/** Everything that decides the sandbox-exec command line of one session. */
export interface SandboxExecPlanOptions {
  /** Profile text from buildSandboxExecProfile. */
  readonly profileText: string;
  /** Values of (param "NAME"), such as WORKSPACE, passed with -D. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly python: string;
  /** Host directory of the runtime; macOS has no mount namespace, so the sandbox reads it at this path. */
  readonly runtimeDir: string;
}

/**
 * Builds the argv that runs the session's supervisor under sandbox-exec:
 * `/usr/bin/sandbox-exec -p PROFILE -D NAME=VALUE ... PYTHON -s -E
 * RUNTIME/supervisor.py`. The profile goes in as one argument and no shell
 * is involved, so nothing in it needs quoting for a shell.
 * @throws UnsafePathError when a path or parameter contains a NUL or a newline.
 */
export function buildSandboxExecArgs(options: SandboxExecPlanOptions): string[] {
  if (options.profileText.includes("\0")) {
    throw new Error("profile text contains a NUL byte, which no argument can hold");
  }
  const definitions = Object.entries(options.parameters).flatMap(([name, value]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) {
      throw new Error(`parameter name ${JSON.stringify(name)} is invalid: use capital letters, digits and underscores`);
    }
    return ["-D", `${name}=${assertSafePath(value)}`];
  });
  return [
    SANDBOX_EXEC_PATH,
    "-p",
    options.profileText,
    ...definitions,
    assertSafePath(options.python),
    // -s and -E: no user site directory and no PYTHON* variable shapes the
    // supervisor, as on Linux.
    "-s",
    "-E",
    `${assertSafePath(options.runtimeDir)}/supervisor.py`,
  ];
}
