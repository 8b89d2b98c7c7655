import { Code, ConnectError } from "@connectrpc/connect";
import type { ExecuteRequest } from "../gen/seatbelt/v1/execution_pb.js";
import type { CreateSessionRequest, Limits } from "../gen/seatbelt/v1/session_pb.js";
import type { Task } from "../sessions/execution.js";
import type { NewSessionOptions } from "../sessions/registry.js";
import { validateSafetySettings } from "../safety/options.js";

/** Maximum length of an environment variable name. @default 256 */
export const MAX_ENV_NAME_BYTES = 256;
/** Maximum length of an environment variable value. @default 32 KiB */
export const MAX_ENV_VALUE_BYTES = 32 * 1024;
/** Most environment variables accepted in one request. @default 256 */
export const MAX_ENV_ENTRIES = 256;
/** Largest Python code or shell command accepted. @default 1 MiB */
export const MAX_CODE_BYTES = 1024 * 1024;

/** Profiles that this version can enforce. */
export const SUPPORTED_PROFILES = ["default"] as const;

/** Timeouts that apply when a request sets none. */
export interface TimeoutPolicy {
  readonly pythonTimeoutMs: number;
  readonly shellTimeoutMs: number;
  readonly maxTimeoutMs: number;
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

function hasLimits(limits: Limits | undefined): boolean {
  return limits !== undefined && Object.entries(limits).some(([key, value]) => !key.startsWith("$") && value !== 0 && value !== 0n);
}

/**
 * Turns a CreateSessionRequest into session options. Settings that this
 * version cannot enforce are rejected with UNIMPLEMENTED rather than
 * accepted and ignored, so no caller believes in a limit that does not hold.
 */
export function validateCreateSession(request: CreateSessionRequest): NewSessionOptions {
  const profile = request.profile;
  const source = profile?.source;
  if (source?.case === "seatbeltProfile" || source?.case === "seatbeltProfilePath") {
    throw unimplemented("profile text and profile paths are not supported by this server version; use profile.name \"default\"");
  }
  const profileName = source?.case === "name" ? source.value : "default";
  if (!(SUPPORTED_PROFILES as readonly string[]).includes(profileName)) {
    throw new ConnectError(`profile ${JSON.stringify(profileName)} not found; available: ${SUPPORTED_PROFILES.join(", ")}`, Code.NotFound);
  }
  if ((profile?.additionalReadDirs.length ?? 0) > 0 || (profile?.additionalWriteDirs.length ?? 0) > 0) {
    throw unimplemented("additional_read_dirs and additional_write_dirs are not supported by this server version");
  }
  if (request.pythonEnvPath !== "") {
    throw unimplemented("python_env_path is not supported by this server version; sessions use the server's default interpreter");
  }
  if (hasLimits(request.limits)) {
    throw unimplemented("resource limits are not enforced by this server version; leave limits unset");
  }
  return { env: validateEnv(request.env), profileName, safety: validateSafetySettings(request.safety) };
}

function validateTask(request: ExecuteRequest): Task {
  const task = request.task;
  switch (task.case) {
    case "python": {
      if (Buffer.byteLength(task.value.code) > MAX_CODE_BYTES) {
        throw invalid(`python.code is larger than ${MAX_CODE_BYTES} bytes`);
      }
      return { kind: "python", code: task.value.code };
    }
    case "shell": {
      const { command, argv, workdir } = task.value;
      if ((command === "") === (argv.length === 0)) {
        throw invalid("shell task needs exactly one of command and argv");
      }
      const size = Buffer.byteLength(command) + argv.reduce((total, word) => total + Buffer.byteLength(word), 0);
      if (size > MAX_CODE_BYTES) {
        throw invalid(`shell command is larger than ${MAX_CODE_BYTES} bytes`);
      }
      if ([command, workdir, ...argv].some((text) => text.includes("\0"))) {
        throw invalid("shell command, argv and workdir must not contain NUL bytes");
      }
      return command !== "" ? { kind: "shell", command, workdir } : { kind: "shell", argv: [...argv], workdir };
    }
    default:
      throw invalid("task is missing: set python or shell");
  }
}

/** Turns an ExecuteRequest into a task and its timeout, defaulted and capped. */
export function validateExecute(request: ExecuteRequest, policy: TimeoutPolicy): { task: Task; timeoutMs: number } {
  if (request.sessionId === "") {
    throw invalid("session_id is missing");
  }
  const task = validateTask(request);
  const fallback = task.kind === "python" ? policy.pythonTimeoutMs : policy.shellTimeoutMs;
  const requested = request.timeoutMs === 0n ? fallback : Number(request.timeoutMs);
  return { task, timeoutMs: Math.min(requested, policy.maxTimeoutMs) };
}
