import { execa } from "execa";
import { type HostEntry, readHostLayout } from "./host-layout.js";
import { buildBubblewrapArgs } from "./plan.js";
import { SANDBOX_INFO_FD, type SandboxExit, SandboxProcess } from "../sandbox-process.js";
import { buildBaseEnvironment, buildSessionEnvironment } from "../environment.js";
import type { Frame } from "../frames.js";
import type { PythonSafetyPolicy } from "../../safety/options.js";

/** Whether bubblewrap can start sandboxes here, and why not. */
export interface BackendStatus {
  readonly name: "bubblewrap";
  readonly available: boolean;
  readonly reason: string;
  readonly version: string;
}

export interface SandboxRequest {
  readonly workspaceDir: string;
  readonly sessionEnv: Readonly<Record<string, string>>;
  /** Python checks that the interpreter applies to every cell; none when unset. */
  readonly pythonSafety?: PythonSafetyPolicy | undefined;
  readonly onFrame: (frame: Frame) => void;
  readonly onExit: (exit: SandboxExit) => void;
}

export interface BubblewrapBackendOptions {
  /** Absolute path of bwrap; unset searches the usual install locations. */
  readonly bubblewrapPath?: string | undefined;
  readonly runtimeDir: string;
  readonly python: string;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

const INSTALL_HINT = "install it with `apt-get install bubblewrap` (Debian, Ubuntu) or `dnf install bubblewrap` (Fedora)";

async function findBubblewrap(configured: string | undefined): Promise<string | undefined> {
  const candidates = configured === undefined ? ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"] : [configured];
  for (const candidate of candidates) {
    const probe = await execa(candidate, ["--version"], { reject: false, extendEnv: false, env: {} });
    if (probe.exitCode === 0) {
      return candidate;
    }
  }
  return undefined;
}

/** The Linux backend: one bubblewrap sandbox per session. */
export class BubblewrapBackend {
  private constructor(
    readonly status: BackendStatus,
    private readonly path: string,
    private readonly hostLayout: readonly HostEntry[],
    private readonly options: BubblewrapBackendOptions,
  ) {}

  /**
   * Finds bubblewrap and starts one empty sandbox with the same namespaces
   * and user as a session's, so that a host without user namespaces is
   * reported at start-up instead of at the first CreateSession.
   */
  static async detect(options: BubblewrapBackendOptions): Promise<BubblewrapBackend> {
    const hostLayout = await readHostLayout();
    if (process.platform !== "linux") {
      return new BubblewrapBackend({ name: "bubblewrap", available: false, reason: "bubblewrap runs only on Linux", version: "" }, "", hostLayout, options);
    }
    const path = await findBubblewrap(options.bubblewrapPath);
    if (path === undefined) {
      const where = options.bubblewrapPath ?? "/usr/bin, /usr/local/bin or /bin";
      return new BubblewrapBackend({ name: "bubblewrap", available: false, reason: `bubblewrap (bwrap) was not found in ${where}; ${INSTALL_HINT}`, version: "" }, "", hostLayout, options);
    }

    const version = (await execa(path, ["--version"], { reject: false })).stdout.replace(/^bubblewrap\s*/, "").trim();
    // --as-pid-1 runs /bin/true without bubblewrap's init process, which
    // would otherwise outlive bubblewrap briefly and be left to the host's
    // init to reap.
    const trialArgs = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--as-pid-1", "--ro-bind", "/", "/", "--", "/bin/true"];
    const trial = await execa(path, trialArgs, {
      reject: false,
      extendEnv: false,
      env: {},
      uid: options.uid,
      gid: options.gid,
    });
    const available = trial.exitCode === 0;
    const reason = available ? "" : `bubblewrap could not create a sandbox: ${String(trial.stderr).trim() || `exit status ${trial.exitCode}`}; check that unprivileged user namespaces are enabled (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)`;
    return new BubblewrapBackend({ name: "bubblewrap", available, reason, version }, path, hostLayout, options);
  }

  /** Starts the sandbox of one session. */
  start(request: SandboxRequest): SandboxProcess {
    const args = buildBubblewrapArgs({
      hostLayout: this.hostLayout,
      runtimeDir: this.options.runtimeDir,
      workspaceDir: request.workspaceDir,
      python: this.options.python,
      environment: buildBaseEnvironment(request.workspaceDir),
      network: false,
      infoFd: SANDBOX_INFO_FD,
    });
    return new SandboxProcess({
      bubblewrapPath: this.path,
      args,
      uid: this.options.uid,
      gid: this.options.gid,
      sessionEnvironment: buildSessionEnvironment(request.workspaceDir, request.sessionEnv),
      pythonSafety: request.pythonSafety,
      onFrame: request.onFrame,
      onExit: request.onExit,
    });
  }
}
