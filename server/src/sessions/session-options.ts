import type { Logger } from "pino";
import type { SafetyOptions } from "../safety/options.js";
import type { BubblewrapBackend, PreparedSandbox } from "../sandbox/bubblewrap/backend.js";
import type { SessionConfinement } from "../sandbox/limits/session-confinement.js";
import type { SessionId } from "./ids.js";

/** Services and settings that a session takes from the server. */
export interface SessionContext {
  readonly backend: BubblewrapBackend;
  readonly logger: Logger;
  readonly killGraceMs: number;
  readonly startTimeoutMs: number;
  /** Bytes of events kept per execution for StreamOutput. */
  readonly retainedEventBytes: number;
  /** Age at which the registry deletes a session. */
  readonly sessionMaxLifetimeMs: number;
}

/** Settings of one execution besides its task. */
export interface SubmitOptions {
  readonly timeoutMs: number;
  /** Bytes for stdin when the execution starts. */
  readonly stdin: Uint8Array;
  /** Keep stdin open after those bytes, for sendInput. */
  readonly keepStdinOpen: boolean;
}

/** Settings of one session, as the caller chose them. */
export interface SessionOptions {
  readonly id: SessionId;
  /** Name of the tenant that created the session; only that tenant can see or use it. */
  readonly tenant: string;
  readonly workspaceDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly profileName: string;
  /** Output cap of each execution, in bytes. */
  readonly outputBytes: number;
  /** Code and shell checks; shell tasks are checked in the server, Python cells in the sandbox. */
  readonly safety: SafetyOptions;
  /** The sandbox as planned from the session's profile; every replacement sandbox uses it too. */
  readonly prepared: PreparedSandbox;
  /** Limits, cgroup and workspace tmpfs of the session; unset runs it without limits. */
  readonly confinement?: SessionConfinement | undefined;
}
