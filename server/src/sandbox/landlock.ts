import { execa } from "execa";
import type { LandlockRule } from "./bubblewrap/landlock-rules.js";
import type { SecurityLayerDescription } from "./security-layers.js";

/** The kernel's Landlock support, as found at start-up; abi is 0 when there is none. */
export interface LandlockSupport {
  readonly abi: number;
  /** Reason that abi is 0; empty otherwise. */
  readonly reason: string;
}

/** Landlock ABI and rules that the supervisor of one sandbox applies, sent in the INIT frame. */
export interface LandlockRequest {
  readonly abi: number;
  readonly rules: readonly LandlockRule[];
}

/** First ABI version with scoping of signals and abstract Unix sockets. */
const SCOPING_ABI = 6;

/** Everything probeLandlock needs to run the runtime's probe as the sandbox's user. */
export interface LandlockProbeOptions {
  readonly python: string;
  readonly runtimeDir: string;
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
}

/**
 * Finds the kernel's Landlock ABI version by running the runtime's
 * landlock.py with the sessions' default interpreter, because Node has no
 * way to make the system call. It runs outside a sandbox, on the same
 * kernel. A sandbox whose supervisor finds a lower ABI fails to start.
 */
export async function probeLandlock(options: LandlockProbeOptions): Promise<LandlockSupport> {
  const probe = await execa(options.python, ["-I", "-S", `${options.runtimeDir}/seatbelt_runtime/landlock.py`], {
    reject: false,
    extendEnv: false,
    env: {},
    uid: options.uid,
    gid: options.gid,
  });
  if (probe.exitCode !== 0) {
    return { abi: 0, reason: `the Landlock probe with ${options.python} failed: ${String(probe.stderr).trim() || `exit status ${probe.exitCode}`}` };
  }
  return parseProbeOutput(String(probe.stdout));
}

/** Reads the probe's JSON output, {"abi": N, "reason": "..."}. */
export function parseProbeOutput(output: string): LandlockSupport {
  let parsed: { abi?: unknown; reason?: unknown };
  try {
    parsed = JSON.parse(output) as { abi?: unknown; reason?: unknown };
  } catch {
    return { abi: 0, reason: `the Landlock probe wrote invalid output: ${JSON.stringify(output.slice(0, 200))}` };
  }
  const abi = typeof parsed.abi === "number" && Number.isInteger(parsed.abi) && parsed.abi > 0 ? parsed.abi : 0;
  const reason = typeof parsed.reason === "string" && parsed.reason !== "" ? parsed.reason : "the kernel reported no Landlock ABI";
  return { abi, reason: abi > 0 ? "" : reason };
}

/**
 * Checks the READY frame of a sandbox whose supervisor was asked to apply
 * Landlock: returns an error message unless it reports the ABI that was
 * requested, and undefined when it does.
 */
export function checkReadyLandlock(readyPayload: Buffer, expectedAbi: number): string | undefined {
  let applied: unknown;
  try {
    applied = (JSON.parse(readyPayload.toString("utf8")) as { landlockAbi?: unknown }).landlockAbi;
  } catch {
    applied = undefined;
  }
  if (applied === expectedAbi) {
    return undefined;
  }
  return `the sandbox reported Landlock ABI ${JSON.stringify(applied ?? null)} applied, expected ${expectedAbi}; it was stopped`;
}

/** Describes the Landlock layer, which every sandbox has when the backend works and the kernel supports Landlock. */
export function describeLandlock(support: LandlockSupport, backendAvailable: boolean): SecurityLayerDescription {
  if (!backendAvailable) {
    return { name: "landlock", active: false, detail: "bubblewrap cannot start sandboxes here, so no session can be created", abiVersion: 0 };
  }
  if (support.abi === 0) {
    return { name: "landlock", active: false, detail: `${support.reason}; sandboxes rely on namespaces and mounts alone`, abiVersion: 0 };
  }
  const scoping = support.abi >= SCOPING_ABI ? ", signal one, or connect to an abstract Unix socket created outside it" : "";
  return {
    name: "landlock",
    active: true,
    detail: `every process of a sandbox can open only the paths that its profile allows, a second file-system layer behind the mounts. No process can trace a process outside its sandbox${scoping}`,
    abiVersion: support.abi,
  };
}
