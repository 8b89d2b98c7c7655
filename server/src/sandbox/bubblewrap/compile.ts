import { posix } from "node:path";
import { explainDecision } from "../../sbpl/decide.js";
import { FILE_READ_OPERATIONS } from "../../sbpl/operations.js";
import type { ProfileNote, SbplFilter, SbplProfile, SbplRule } from "../../sbpl/profile.js";
import { adaptProfileForLinux, allowsNetwork } from "./adapt-profile.js";
import { noteUnmountableDenies } from "./deny-notes.js";
import type { HostEntry } from "./host-layout.js";
import { type LandlockRule, deriveLandlockRules } from "./landlock-rules.js";
import { type MountStep, planMounts } from "./mount-plan.js";

/** A profile that cannot run a session at all, such as one that hides the workspace. */
export class ProfileRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProfileRejectedError";
  }
}

/** Everything compileLinuxProfile needs besides the profile. */
export interface LinuxCompileInput {
  readonly profile: SbplProfile;
  readonly hostEntries: ReadonlyMap<string, HostEntry>;
  readonly workspaceDir: string;
  readonly runtimeDir: string;
  /** Host directories that no profile may reveal, such as the server's state directory; the workspace is exempt. */
  readonly hiddenDirs: readonly string[];
  readonly emptyFile: string;
  /** The session's interpreter, which the profile must let the sandbox read. */
  readonly python: string;
}

/** A profile compiled for bubblewrap: its mounts, whether the network is shared, and notes. */
export interface LinuxSandboxPlan {
  readonly mounts: readonly MountStep[];
  readonly network: boolean;
  readonly notes: readonly ProfileNote[];
  /** The profile as bubblewrap enforces it, server rules included, for callers that check decisions. */
  readonly linuxProfile: SbplProfile;
  /** Landlock rules derived from linuxProfile, independently of mounts, for the supervisor to apply. */
  readonly landlockRules: readonly LandlockRule[];
}

/**
 * Compiles a profile into a bubblewrap plan; see adaptProfileForLinux and
 * planMounts for the rules.
 * @throws ProfileRejectedError when the profile hides the workspace or the interpreter.
 */
export function compileLinuxProfile(input: LinuxCompileInput): LinuxSandboxPlan {
  const adapted = adaptProfileForLinux(input.profile);
  const linuxProfile = hideServerDirs(adapted.profile, input.hiddenDirs, input.workspaceDir);
  requireReadable(linuxProfile, `${input.workspaceDir}/`, "the workspace", "WORKSPACE");
  requireReadable(linuxProfile, input.python, `the interpreter ${input.python}`, "PYTHON_ENV");
  requireReadable(linuxProfile, `${posix.dirname(posix.dirname(input.python))}/lib/`, `the library directory of ${input.python}`, "PYTHON_ENV");

  const plan = planMounts({
    profile: linuxProfile,
    hostEntries: input.hostEntries,
    workspaceDir: input.workspaceDir,
    runtimeDir: input.runtimeDir,
    emptyFile: input.emptyFile,
  });
  const denyNotes = noteUnmountableDenies({ profile: linuxProfile, hostEntries: input.hostEntries });
  const landlockRules = deriveLandlockRules({ profile: linuxProfile, hostEntries: input.hostEntries, workspaceDir: input.workspaceDir });
  return { mounts: plan.steps, network: allowsNetwork(linuxProfile), notes: [...adapted.notes, ...denyNotes, ...plan.notes], linuxProfile, landlockRules };
}

/**
 * Appends rules that deny the hidden directories, such as the state
 * directory that contains other sessions' workspaces, whatever the profile
 * allows. The workspace is left out of them, so the profile's own rules
 * decide about it and about every path below it.
 */
export function hideServerDirs(profile: SbplProfile, hiddenDirs: readonly string[], workspaceDir: string): SbplProfile {
  const outsideWorkspace: SbplFilter = { kind: "require-not", filter: { kind: "subpath", path: workspaceDir } };
  const hide = hiddenDirs.map(
    (dir): SbplRule => ({
      action: "deny",
      operations: ["file*"],
      filter: { kind: "require-all", filters: [{ kind: "subpath", path: dir }, outsideWorkspace] },
      position: { line: 0, column: 0 },
      text: `server state directory: ${dir}`,
    }),
  );
  return { rules: [...profile.rules, ...hide] };
}

function requireReadable(profile: SbplProfile, path: string, what: string, parameter: string): void {
  for (const operation of FILE_READ_OPERATIONS) {
    const decision = explainDecision(profile, operation, path);
    if (decision.action === "deny") {
      const where = decision.rule === undefined ? "no rule allows it" : `denied by line ${decision.rule.position.line}`;
      throw new ProfileRejectedError(`the profile does not let the sandbox read ${what} (${operation} ${where}); allow it, for example with (allow file-read* (subpath (param "${parameter}")))`);
    }
  }
}
