import { existsSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type SeatbeltSession } from "../../client/src/index.js";
import { decide } from "../../server/src/sbpl/decide.js";
import type { SbplProfile } from "../../server/src/sbpl/profile.js";

/** One attempt to read or write a path inside a sandbox. */
export interface Probe {
  readonly label: string;
  readonly operation: "read" | "write";
  readonly path: string;
  /** For a read of a file: the content the host holds, so a masked or empty file counts as denied. */
  readonly content?: string;
  /** For a read of a directory: an entry it must list. */
  readonly entry?: string;
}

/**
 * Python that attempts every probe and prints one JSON object of label to
 * "allow" or "deny". A read counts only when it returns the host's data; a
 * write creates or appends, and a file it created is removed again.
 */
const PROBE_SCRIPT = `
import json, os
def attempt(probe):
    path = probe["path"]
    try:
        if probe["operation"] == "read":
            if "entry" in probe:
                return probe["entry"] in os.listdir(path)
            with open(path) as handle:
                return handle.read() == probe["content"]
        existed = os.path.lexists(path)
        with open(path, "a") as handle:
            handle.write("")
        if not existed:
            os.unlink(path)
        return True
    except OSError:
        return False
print(json.dumps({probe["label"]: "allow" if attempt(probe) else "deny" for probe in PROBES}))
`;

/** Runs the probes in the session's sandbox and returns each outcome by label. */
export async function runProbes(session: SeatbeltSession, probes: readonly Probe[]): Promise<Record<string, string>> {
  const outcome = await session.runPython(`PROBES = ${JSON.stringify(probes)}\n${PROBE_SCRIPT}`);
  if (outcome.stdout === "") {
    throw new Error(`probe script failed: ${outcome.error?.traceback ?? outcome.stderr}`);
  }
  return JSON.parse(outcome.stdout) as Record<string, string>;
}

/** Resolves symbolic links in a host path, or in its parent when the path does not exist yet. */
export function resolveHostPath(path: string): string {
  if (existsSync(path)) {
    return realpathSync(path);
  }
  const parent = dirname(path);
  return existsSync(parent) ? join(realpathSync(parent), basename(path)) : path;
}

/**
 * Returns what the evaluator decides for each probe, on the resolved path,
 * as macOS checks paths after following symbolic links.
 */
export function decideProbes(profile: SbplProfile, probes: readonly Probe[]): Record<string, string> {
  return Object.fromEntries(
    probes.map((probe) => [probe.label, decide(profile, probe.operation === "read" ? "file-read-data" : "file-write-data", resolveHostPath(probe.path))]),
  );
}
