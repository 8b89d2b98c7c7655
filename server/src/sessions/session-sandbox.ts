import type { BubblewrapBackend } from "../sandbox/bubblewrap/backend.js";
import type { Frame } from "../sandbox/frames.js";
import type { SandboxExit, SandboxProcess } from "../sandbox/sandbox-process.js";
import type { SessionOptions } from "./session-options.js";

/** Callbacks that receive a sandbox's frames and its exit. */
export interface SandboxHandlers {
  readonly onFrame: (frame: Frame) => void;
  readonly onExit: (exit: SandboxExit) => void;
}

/** A sandbox that has already sent READY, such as one from the warm pool. */
export interface StartedSandbox {
  readonly sandbox: SandboxProcess;
  readonly pythonVersion: string;
  /** Routes the sandbox's frames and exit to a session from now on. */
  attach(handlers: SandboxHandlers): void;
}

/**
 * Starts the sandbox of a session with these options. Sessions and the
 * warm pool both start sandboxes here, so a pooled sandbox is launched
 * exactly like the one that a session with the same options would start.
 */
export function startSessionSandbox(
  backend: BubblewrapBackend,
  options: Pick<SessionOptions, "workspaceDir" | "prepared" | "env" | "safety" | "confinement">,
  handlers: SandboxHandlers,
): SandboxProcess {
  return backend.start({
    workspaceDir: options.workspaceDir,
    prepared: options.prepared,
    sessionEnv: options.env,
    pythonSafety: options.safety.python,
    confinement: options.confinement,
    onFrame: handlers.onFrame,
    onExit: handlers.onExit,
  });
}
