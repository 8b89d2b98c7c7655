import { DEV_SHM, PRIVATE_TMP_DIRS, SANDBOX_RUNTIME_DIR, type MountStep } from "./mount-plan.js";

/** Everything that decides the bubblewrap command line of one session. */
export interface BubblewrapPlanOptions {
  /** Mounts from planMounts, in the order to apply them. */
  readonly mounts: readonly MountStep[];
  /** Host directory of the session's workspace, the working directory inside. */
  readonly workspaceDir: string;
  /** Python interpreter, as a path that exists inside the sandbox. */
  readonly python: string;
  /** Environment of the supervisor; nothing of the server's leaks in. */
  readonly environment: Readonly<Record<string, string>>;
  /** Share the host's network namespace instead of an empty one. */
  readonly network: boolean;
  /** File descriptor on which bubblewrap reports the host pid of the sandbox's init process. */
  readonly infoFd: number;
  /** Size of the sandbox's /tmp, /var/tmp and /dev/shm each; unset leaves them unlimited. */
  readonly tmpSizeBytes?: number | undefined;
  /** File descriptor from which bubblewrap reads the seccomp filter; unset starts the sandbox without one. */
  readonly seccompFd?: number | undefined;
}

/** Writable file systems of the sandbox held in memory, whose tmpfs gets the session's disk size. */
const SIZED_TMPFS_TARGETS: ReadonlySet<string> = new Set([...PRIVATE_TMP_DIRS, DEV_SHM]);

function sizeTmpfs(target: string, sizeBytes: number | undefined): string[] {
  return sizeBytes === undefined || !SIZED_TMPFS_TARGETS.has(target) ? [] : ["--size", String(sizeBytes)];
}

function toMountArgs(step: MountStep, tmpSizeBytes: number | undefined): string[] {
  switch (step.kind) {
    case "ro-bind":
    case "bind":
      return [`--${step.kind}`, step.source, step.target];
    case "tmpfs":
      return [...(step.mode === undefined ? [] : ["--perms", step.mode.toString(8).padStart(4, "0")]), ...sizeTmpfs(step.target, tmpSizeBytes), "--tmpfs", step.target];
    case "symlink":
      return ["--symlink", step.linkTarget, step.path];
    case "proc":
    case "dev":
    case "remount-ro":
      return [`--${step.kind}`, step.target];
  }
}

function setEnvironment(environment: Readonly<Record<string, string>>): string[] {
  return Object.entries(environment).flatMap(([name, value]) => ["--setenv", name, value]);
}

/**
 * Builds the bubblewrap argv for one session's sandbox from its mount plan.
 *
 * Order matters because bubblewrap applies options left to right. Mounts
 * come shortest path first, as planMounts orders them. `--remount-ro /`
 * must come last, so that the root that bubblewrap built, where it created
 * the mount points, is read-only once the sandbox runs. Mount targets lie
 * on that fresh root or in a fresh tmpfs, except the masks of denied paths
 * inside a writable directory such as the workspace. Those are planned from
 * an lstat taken when no sandbox of the session runs, so its own code cannot
 * swap them for a link before bubblewrap mounts there.
 * TODO: another session that shares such a directory (through
 * additional_write_dirs) could swap a masked path for a link in that window;
 * opening each target with O_NOFOLLOW in a setup helper would close it.
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
    ...(options.seccompFd === undefined ? [] : ["--seccomp", String(options.seccompFd)]),
    "--clearenv",
    ...setEnvironment(options.environment),
    ...options.mounts.flatMap((step) => toMountArgs(step, options.tmpSizeBytes)),
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
