import type { HostEntry } from "./host-layout.js";

/** Mount point of the runtime directory inside every sandbox. */
export const SANDBOX_RUNTIME_DIR = "/run/seatbelt";

/** Everything that decides the bubblewrap command line of one session. */
export interface BubblewrapPlanOptions {
  /** System paths of the host, as readHostLayout returns them. */
  readonly hostLayout: readonly HostEntry[];
  /** Host directory holding supervisor.py and its modules. */
  readonly runtimeDir: string;
  /** Host directory of the session's workspace, mounted at the same path. */
  readonly workspaceDir: string;
  /** Python interpreter, as a path that exists inside the sandbox. */
  readonly python: string;
  /** Environment of the supervisor; nothing of the server's leaks in. */
  readonly environment: Readonly<Record<string, string>>;
  /** Share the host's network namespace instead of an empty one. */
  readonly network: boolean;
  /** File descriptor on which bubblewrap reports the host pid of the sandbox's init process. */
  readonly infoFd: number;
}

function mountSystemPaths(hostLayout: readonly HostEntry[]): string[] {
  return hostLayout.flatMap((entry) =>
    entry.kind === "symlink" ? ["--symlink", entry.target, entry.path] : ["--ro-bind", entry.path, entry.path],
  );
}

function setEnvironment(environment: Readonly<Record<string, string>>): string[] {
  return Object.entries(environment).flatMap(([name, value]) => ["--setenv", name, value]);
}

/**
 * Builds the bubblewrap argv for one session's sandbox under the default
 * profile: system directories read-only, no home directories, a private /tmp,
 * the workspace writable, no network unless asked for.
 *
 * Order matters because bubblewrap applies mounts left to right. /tmp must
 * exist before anything is mounted below it. `--remount-ro /` must come
 * last, so that the root that bubblewrap built, where it created the mount
 * points, is read-only once the sandbox runs. Every mount target lies on
 * that fresh root or in a fresh tmpfs, never in a host directory that
 * sandboxed code can write, so nothing a session plants can redirect the
 * setup of a later sandbox.
 */
export function buildBubblewrapArgs(options: BubblewrapPlanOptions): string[] {
  return [
    // Namespaces: a new user namespace without capabilities, and no further
    // user namespaces inside it, which closes the usual route to root.
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    ...(options.network ? ["--share-net"] : []),
    "--hostname",
    "seatbelt",
    // A new terminal session stops TIOCSTI from typing into the server's
    // terminal; die-with-parent ends the sandbox when the server dies.
    "--new-session",
    "--die-with-parent",
    "--info-fd",
    String(options.infoFd),
    "--cap-drop",
    "ALL",
    "--clearenv",
    ...setEnvironment(options.environment),
    ...mountSystemPaths(options.hostLayout),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--tmpfs",
    "/var/tmp",
    "--ro-bind",
    options.runtimeDir,
    SANDBOX_RUNTIME_DIR,
    "--bind",
    options.workspaceDir,
    options.workspaceDir,
    "--chdir",
    options.workspaceDir,
    "--remount-ro",
    "/",
    "--",
    options.python,
    // -s and -E: no user site directory (which lies in the workspace) and
    // no PYTHON* variable shapes the supervisor, only the interpreter.
    "-s",
    "-E",
    `${SANDBOX_RUNTIME_DIR}/supervisor.py`,
  ];
}
