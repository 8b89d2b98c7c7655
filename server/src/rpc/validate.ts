import { Code, ConnectError } from "@connectrpc/connect";
import { DEFAULT_MAX_CODE_BYTES, DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_OUTPUT_BYTES } from "../config.js";
import type { ExecuteRequest, SendInputRequest } from "../gen/seatbelt/v1/execution_pb.js";
import type { CreateSessionRequest, Limits } from "../gen/seatbelt/v1/session_pb.js";
import type { Task } from "../sessions/execution.js";
import { type SafetyOptions, validateSafetySettings } from "../safety/options.js";
import { DEFAULT_PROFILE_NAME, PREDEFINED_PROFILE_NAMES, isPredefinedProfile } from "../profiles/predefined.js";
import type { ProfileSettings } from "../profiles/resolve-request.js";
import { MAX_PROFILE_BYTES, type ProfileSource } from "../profiles/sources.js";
import type { SessionLimits } from "../sandbox/limits/session-limits.js";
import { MAX_ARGV_ENTRIES, MAX_PATH_BYTES, MAX_PROFILE_NAME_BYTES, assertMaxBytes, assertMaxEntries } from "./bounds.js";
import { requireExecutionId, requireSessionId } from "./session-id.js";

/** Maximum length of an environment variable name. @default 256 */
export const MAX_ENV_NAME_BYTES = 256;
/** Maximum length of an environment variable value. @default 32 KiB */
export const MAX_ENV_VALUE_BYTES = 32 * 1024;
/** Most environment variables accepted in one request. @default 256 */
export const MAX_ENV_ENTRIES = 256;
/** Largest Python code or shell command accepted when the policy sets no maxCodeBytes. @default 1 MiB */
export const MAX_CODE_BYTES = DEFAULT_MAX_CODE_BYTES;

/** Largest stdin of an ExecuteRequest, and largest data of one SendInput. @default 1 MiB */
export const MAX_INPUT_BYTES = 1024 * 1024;

/** Most entries in additional_read_dirs and additional_write_dirs together. @default 64 */
export const MAX_ADDITIONAL_DIRS = 64;

/** A CreateSessionRequest after validation; files are not read yet. */
export interface CreateSessionOptions {
  readonly env: Record<string, string>;
  readonly profile: ProfileSettings;
  /** Output cap of each execution, in bytes. */
  readonly outputBytes: number;
  /** Resource limits of the session; unset when the server resolves none. */
  readonly limits?: SessionLimits | undefined;
  readonly safety: SafetyOptions;
}

/** Timeouts that apply when a request sets none. */
export interface TimeoutPolicy {
  readonly pythonTimeoutMs: number;
  readonly shellTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

/** Settings that an ExecuteRequest is checked against. */
export interface ExecutePolicy extends TimeoutPolicy {
  /** Largest code or shell command; MAX_CODE_BYTES when unset. */
  readonly maxCodeBytes?: number | undefined;
}

/** Output cap that applies when a session sets none, and the largest it may set. */
export interface OutputPolicy {
  readonly defaultOutputBytes: number;
  readonly maxOutputBytes: number;
}

const DEFAULT_OUTPUT_POLICY: OutputPolicy = { defaultOutputBytes: DEFAULT_OUTPUT_BYTES, maxOutputBytes: DEFAULT_MAX_OUTPUT_BYTES };

/** An execution request after validation. */
export interface ExecuteOptions {
  readonly task: Task;
  readonly timeoutMs: number;
  readonly stdin: Uint8Array;
  readonly keepStdinOpen: boolean;
  readonly detach: boolean;
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

function unimplemented(message: string): ConnectError {
  return new ConnectError(message, Code.Unimplemented);
}

function validateEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(env);
  if (entries.length > MAX_ENV_ENTRIES) {
    throw invalid(`env has ${entries.length} variables; the maximum is ${MAX_ENV_ENTRIES}`);
  }
  const result: Record<string, string> = Object.create(null);
  for (const [name, value] of entries) {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      throw invalid(`env name ${JSON.stringify(name)} is invalid: it must be non-empty and contain no "=" or NUL`);
    }
    if (Buffer.byteLength(name) > MAX_ENV_NAME_BYTES) {
      throw invalid(`env name ${JSON.stringify(name.slice(0, 40))}… is longer than ${MAX_ENV_NAME_BYTES} bytes`);
    }
    if (value.includes("\0")) {
      throw invalid(`env value of ${name} contains a NUL byte`);
    }
    if (Buffer.byteLength(value) > MAX_ENV_VALUE_BYTES) {
      throw invalid(`env value of ${name} is longer than ${MAX_ENV_VALUE_BYTES} bytes`);
    }
    result[name] = value;
  }
  return result;
}

/** Limits enforced by this version; the others are refused when set. */
const ENFORCED_LIMITS: ReadonlySet<string> = new Set(["outputBytes"]);

/** Rejects a path that the server would write into a profile or an argv and that cannot be one. */
function validatePath(path: string, field: string): string {
  assertMaxBytes(path, MAX_PATH_BYTES, field);
  if (path === "" || /[\0\n]/.test(path)) {
    throw invalid(`${field} ${JSON.stringify(path)} is invalid: it must be non-empty and contain no NUL or newline`);
  }
  return path;
}

function validateProfileSource(source: NonNullable<CreateSessionRequest["profile"]>["source"] | undefined): ProfileSource {
  switch (source?.case) {
    case "seatbeltProfile":
      if (Buffer.byteLength(source.value) > MAX_PROFILE_BYTES) {
        throw invalid(`seatbelt_profile is larger than ${MAX_PROFILE_BYTES} bytes`);
      }
      return { kind: "text", text: source.value };
    case "seatbeltProfilePath":
      return { kind: "path", path: validatePath(source.value, "seatbelt_profile_path") };
    case "name":
      assertMaxBytes(source.value, MAX_PROFILE_NAME_BYTES, "profile.name");
      if (!isPredefinedProfile(source.value)) {
        throw new ConnectError(`profile ${JSON.stringify(source.value)} not found; available: ${PREDEFINED_PROFILE_NAMES.join(", ")}`, Code.NotFound);
      }
      return { kind: "name", name: source.value };
    default:
      return { kind: "name", name: DEFAULT_PROFILE_NAME };
  }
}

function hasLimits(limits: Limits | undefined): boolean {
  return limits !== undefined && Object.entries(limits).some(([key, value]) => !key.startsWith("$") && !ENFORCED_LIMITS.has(key) && value !== 0 && value !== 0n);
}

/** Turns a request's resource limits (all but output_bytes) into a session's, or throws a ConnectError. */
export type LimitResolver = (limits: Limits | undefined) => SessionLimits;

/** Settings of the server that CreateSession requests are checked against. */
export interface SessionPolicy extends OutputPolicy {
  /** Resolves resource limits; without it, any limit but output_bytes is rejected. */
  readonly resolveLimits?: LimitResolver | undefined;
}

function validateOutputBytes(limits: Limits | undefined, policy: OutputPolicy): number {
  const requested = limits?.outputBytes ?? 0n;
  if (requested === 0n) {
    return policy.defaultOutputBytes;
  }
  if (requested > BigInt(policy.maxOutputBytes)) {
    throw invalid(`limits.output_bytes is ${requested}; the server's maximum is ${policy.maxOutputBytes}`);
  }
  return Number(requested);
}

/**
 * Turns a CreateSessionRequest into session options. Settings that this
 * version cannot enforce are rejected with UNIMPLEMENTED rather than
 * accepted and ignored, so no caller believes in a limit that does not hold.
 */
export function validateCreateSession(request: CreateSessionRequest, policy: SessionPolicy = DEFAULT_OUTPUT_POLICY): CreateSessionOptions {
  const profile = request.profile;
  const source = validateProfileSource(profile?.source);
  // Counted before each entry is checked, so a huge list is rejected at once.
  assertMaxEntries([...(profile?.additionalReadDirs ?? []), ...(profile?.additionalWriteDirs ?? [])], MAX_ADDITIONAL_DIRS, "additional_read_dirs and additional_write_dirs together");
  const additionalReadDirs = (profile?.additionalReadDirs ?? []).map((dir) => validatePath(dir, "additional_read_dirs entry"));
  const additionalWriteDirs = (profile?.additionalWriteDirs ?? []).map((dir) => validatePath(dir, "additional_write_dirs entry"));
  const pythonEnvPath = request.pythonEnvPath === "" ? "" : validatePath(request.pythonEnvPath, "python_env_path");
  if (policy.resolveLimits === undefined && hasLimits(request.limits)) {
    throw unimplemented("resource limits other than output_bytes are not enforced by this server version; leave them unset");
  }
  return {
    env: validateEnv(request.env),
    profile: { source, additionalReadDirs, additionalWriteDirs, pythonEnvPath },
    outputBytes: validateOutputBytes(request.limits, policy),
    limits: policy.resolveLimits?.(request.limits),
    safety: validateSafetySettings(request.safety),
  };
}

function validateTask(request: ExecuteRequest, maxCodeBytes: number): Task {
  const task = request.task;
  switch (task.case) {
    case "python": {
      if (Buffer.byteLength(task.value.code) > maxCodeBytes) {
        throw invalid(`python.code is larger than ${maxCodeBytes} bytes (maxCodeBytes)`);
      }
      return { kind: "python", code: task.value.code };
    }
    case "shell": {
      const { command, argv, workdir } = task.value;
      if ((command === "") === (argv.length === 0)) {
        throw invalid("shell task needs exactly one of command and argv");
      }
      assertMaxEntries(argv, MAX_ARGV_ENTRIES, "shell.argv");
      const size = Buffer.byteLength(command) + argv.reduce((total, word) => total + Buffer.byteLength(word), 0);
      if (size > maxCodeBytes) {
        throw invalid(`shell command is larger than ${maxCodeBytes} bytes (maxCodeBytes)`);
      }
      assertMaxBytes(workdir, MAX_PATH_BYTES, "shell.workdir");
      if ([command, workdir, ...argv].some((text) => text.includes("\0"))) {
        throw invalid("shell command, argv and workdir must not contain NUL bytes");
      }
      return command !== "" ? { kind: "shell", command, workdir } : { kind: "shell", argv: [...argv], workdir };
    }
    default:
      throw invalid("task is missing: set python or shell");
  }
}

/** Turns an ExecuteRequest into a task, its timeout (defaulted and capped) and its input. */
export function validateExecute(request: ExecuteRequest, policy: ExecutePolicy): ExecuteOptions {
  requireSessionId(request.sessionId);
  const task = validateTask(request, policy.maxCodeBytes ?? MAX_CODE_BYTES);
  const fallback = task.kind === "python" ? policy.pythonTimeoutMs : policy.shellTimeoutMs;
  const requested = request.timeoutMs === 0n ? fallback : Number(request.timeoutMs);
  if (request.stdin.length > MAX_INPUT_BYTES) {
    throw invalid(`stdin has ${request.stdin.length} bytes; the maximum is ${MAX_INPUT_BYTES}; send the rest with SendInput`);
  }
  return {
    task,
    timeoutMs: Math.min(requested, policy.maxTimeoutMs),
    stdin: request.stdin,
    keepStdinOpen: request.keepStdinOpen,
    detach: request.detach,
  };
}

/** Checks a SendInputRequest's size and execution id. */
export function validateSendInput(request: SendInputRequest): void {
  requireExecutionId(request.executionId);
  if (request.data.length > MAX_INPUT_BYTES) {
    throw invalid(`data has ${request.data.length} bytes; the maximum is ${MAX_INPUT_BYTES} per SendInput`);
  }
}
