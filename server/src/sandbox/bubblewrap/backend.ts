import { execa } from "execa";
import { type PythonEnvironment, getInterpreterPrefix } from "../../profiles/python-env.js";
import { type ProfileRequest, buildSessionProfile } from "../../profiles/session-profile.js";
import type { SbplParameters } from "../../sbpl/parse.js";
import type { SbplProfile } from "../../sbpl/profile.js";
import { adaptProfileForLinux } from "./adapt-profile.js";
import { type LinuxSandboxPlan, compileLinuxProfile } from "./compile.js";
import { readHostEntries } from "./host-layout.js";
import { listPlanPaths } from "./mount-plan.js";
import { buildBubblewrapArgs } from "./plan.js";
import { SANDBOX_INFO_FD, SANDBOX_SECCOMP_FD, type SandboxExit, SandboxProcess } from "../sandbox-process.js";
import { type SeccompFilter, getSeccompFilter } from "../seccomp/filter.js";
import { buildBaseEnvironment, buildSessionEnvironment } from "../environment.js";
import type { Frame } from "../frames.js";
import { type LandlockSupport, probeLandlock } from "../landlock.js";
import type { PythonSafetyPolicy } from "../../safety/options.js";
import type { SessionConfinement } from "../limits/session-confinement.js";

/** Whether bubblewrap can start sandboxes here, and why not. */
export interface BackendStatus {
  readonly name: "bubblewrap";
  readonly available: boolean;
  readonly reason: string;
  readonly version: string;
}

/** A session's profile and interpreter, before the sandbox is planned. */
export interface PrepareRequest {
  readonly workspaceDir: string;
  readonly profile: ProfileRequest;
  readonly pythonEnv: PythonEnvironment | undefined;
}

/** A session's sandbox as planned when the session was created; replan plans it again for each new sandbox. */
export interface PreparedSandbox extends LinuxSandboxPlan {
  readonly python: string;
  /** The session's profile with its parameters filled in, before it is adapted to Linux. */
  readonly profile: SbplProfile;
}

export interface SandboxRequest {
  readonly workspaceDir: string;
  readonly prepared: PreparedSandbox;
  readonly sessionEnv: Readonly<Record<string, string>>;
  /** Python checks that the interpreter applies to every cell; none when unset. */
  readonly pythonSafety?: PythonSafetyPolicy | undefined;
  /** Limits of the session, which the sandbox starts under. */
  readonly confinement?: SessionConfinement | undefined;
  readonly onFrame: (frame: Frame) => void;
  readonly onExit: (exit: SandboxExit) => void;
}

export interface BubblewrapBackendOptions {
  /** Absolute path of bwrap; unset searches the usual install locations. */
  readonly bubblewrapPath?: string | undefined;
  readonly runtimeDir: string;
  /** Default interpreter of sessions that name no Python environment. */
  readonly python: string;
  /** Host directories that no profile may reveal, such as the server's state directory. */
  readonly hiddenDirs: readonly string[];
  /** A host file with no content and mode 000, bound over files that a profile hides. */
  readonly emptyFile: string;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/** The filter depends only on the architecture, so it is built once. */
const SECCOMP_FILTER = getSeccompFilter();

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
  /** The system call filter that every sandbox starts under, or why there is none. */
  readonly seccomp: SeccompFilter = SECCOMP_FILTER;

  private constructor(
    readonly status: BackendStatus,
    private readonly path: string,
    private readonly options: BubblewrapBackendOptions,
    /** The kernel's Landlock support, which every sandbox's supervisor applies when abi > 0. */
    readonly landlock: LandlockSupport = { abi: 0, reason: "bubblewrap cannot start sandboxes here" },
  ) {}

  /**
   * Finds bubblewrap and starts one empty sandbox with the same namespaces
   * and user as a session's, so that a host without user namespaces is
   * reported at start-up instead of at the first CreateSession.
   */
  static async detect(options: BubblewrapBackendOptions): Promise<BubblewrapBackend> {
    if (process.platform !== "linux") {
      return new BubblewrapBackend({ name: "bubblewrap", available: false, reason: "bubblewrap runs only on Linux", version: "" }, "", options);
    }
    const path = await findBubblewrap(options.bubblewrapPath);
    if (path === undefined) {
      const where = options.bubblewrapPath ?? "/usr/bin, /usr/local/bin or /bin";
      return new BubblewrapBackend({ name: "bubblewrap", available: false, reason: `bubblewrap (bwrap) was not found in ${where}; ${INSTALL_HINT}`, version: "" }, "", options);
    }

    const version = (await execa(path, ["--version"], { reject: false })).stdout.replace(/^bubblewrap\s*/, "").trim();
    // --as-pid-1 runs /bin/true without bubblewrap's init process, which
    // would otherwise outlive bubblewrap briefly and be left to the host's
    // init to reap.
    // The seccomp filter is loaded too, so that a kernel that rejects it is
    // reported here and no session starts without it.
    const trialSeccomp = SECCOMP_FILTER.active ? ["--seccomp", "3"] : [];
    const trialArgs = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--as-pid-1", ...trialSeccomp, "--ro-bind", "/", "/", "--", "/bin/true"];
    const trial = await execa(path, trialArgs, {
      stdio: ["ignore", "pipe", "pipe", SECCOMP_FILTER.active ? SECCOMP_FILTER.program : "ignore"],
      reject: false,
      extendEnv: false,
      env: {},
      uid: options.uid,
      gid: options.gid,
    });
    const available = trial.exitCode === 0;
    const reason = available ? "" : `bubblewrap could not create a sandbox: ${String(trial.stderr).trim() || `exit status ${trial.exitCode}`}; check that unprivileged user namespaces are enabled (sysctl kernel.unprivileged_userns_clone=1, user.max_user_namespaces > 0)`;
    const landlock = available ? await probeLandlock(options) : undefined;
    return new BubblewrapBackend({ name: "bubblewrap", available, reason, version }, path, options, landlock);
  }

  /**
   * Builds a session's profile with the server's parameters and compiles it
   * into mounts. The parameters are WORKSPACE (the workspace), TMPDIR (the
   * private /tmp), HOME (the sandbox's home, which is the workspace),
   * PYTHON_ENV (the Python prefix) and PYTHON (the interpreter).
   * @throws SbplError for an invalid profile, ProfileRejectedError for one that cannot run a session.
   */
  async prepare(request: PrepareRequest): Promise<PreparedSandbox> {
    const python = request.pythonEnv?.interpreter ?? this.options.python;
    const parameters: SbplParameters = {
      WORKSPACE: request.workspaceDir,
      TMPDIR: "/tmp",
      HOME: request.workspaceDir,
      PYTHON_ENV: request.pythonEnv?.prefix ?? getInterpreterPrefix(python),
      PYTHON: python,
    };
    const profile = buildSessionProfile(request.profile, parameters, request.pythonEnv?.readableDirs ?? []);
    return this.compile(request.workspaceDir, profile, python);
  }

  /**
   * Plans a prepared sandbox again from the host's current paths, so that a
   * replacement sandbox masks the denied paths that have appeared since,
   * such as folders created in the workspace.
   * @throws ProfileRejectedError when the profile no longer lets the sandbox run.
   */
  replan(workspaceDir: string, prepared: PreparedSandbox): Promise<PreparedSandbox> {
    return this.compile(workspaceDir, prepared.profile, prepared.python);
  }

  private async compile(workspaceDir: string, profile: SbplProfile, python: string): Promise<PreparedSandbox> {
    const fixedPaths = [workspaceDir, ...this.options.hiddenDirs];
    const hostEntries = await readHostEntries(listPlanPaths(adaptProfileForLinux(profile).profile, fixedPaths));
    const plan = compileLinuxProfile({
      profile,
      hostEntries,
      workspaceDir,
      runtimeDir: this.options.runtimeDir,
      hiddenDirs: this.options.hiddenDirs,
      emptyFile: this.options.emptyFile,
      python,
    });
    return { ...plan, python, profile };
  }

  /** Starts the sandbox of one session. */
  start(request: SandboxRequest): SandboxProcess {
    const args = buildBubblewrapArgs({
      mounts: request.prepared.mounts,
      workspaceDir: request.workspaceDir,
      python: request.prepared.python,
      environment: buildBaseEnvironment(request.workspaceDir),
      network: request.prepared.network,
      infoFd: SANDBOX_INFO_FD,
      tmpSizeBytes: request.confinement?.limits.diskBytes || undefined,
      seccompFd: this.seccomp.active ? SANDBOX_SECCOMP_FD : undefined,
    });
    const confinement = request.confinement;
    return new SandboxProcess({
      bubblewrapPath: this.path,
      args,
      uid: this.options.uid,
      gid: this.options.gid,
      sessionEnvironment: buildSessionEnvironment(request.workspaceDir, request.sessionEnv),
      pythonSafety: request.pythonSafety,
      landlock: this.landlock.abi > 0 ? { abi: this.landlock.abi, rules: request.prepared.landlockRules } : undefined,
      rlimits: confinement?.rlimits,
      place: confinement?.hasCgroup ? (pid) => confinement.place(pid) : undefined,
      seccompProgram: this.seccomp.active ? this.seccomp.program : undefined,
      onFrame: request.onFrame,
      onExit: request.onExit,
    });
  }
}
