import { realpathSync } from "node:fs";
import { Code, ConnectError } from "@connectrpc/connect";
import { explainDecision } from "../sbpl/decide.js";
import type { SbplProfile } from "../sbpl/profile.js";

/** The shell that runs shell tasks, at its path inside the sandbox. */
const SHELL_PATH = "/bin/sh";

/**
 * Rejects a shell task when the session's profile denies running the
 * shell. Linux cannot stop programs started from Python code, but it can
 * refuse to start the shell for a shell task, so a profile such as strict
 * is enforced at least there.
 */
export function assertShellAllowed(profile: SbplProfile, sessionId: string): void {
  const resolved = (() => {
    try {
      return realpathSync(SHELL_PATH);
    } catch {
      return SHELL_PATH;
    }
  })();
  const decision = explainDecision(profile, "process-exec", resolved);
  if (decision.action === "deny") {
    const where = decision.rule === undefined ? "no rule allows it" : `line ${decision.rule.position.line}: ${decision.rule.text}`;
    throw new ConnectError(`session ${sessionId}'s profile denies process-exec of ${resolved} (${where}), so it cannot run shell commands; run Python code or use a profile that allows process-exec`, Code.FailedPrecondition);
  }
}
