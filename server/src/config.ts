import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { PREDEFINED_PROFILES_DIR } from "./profiles/predefined.js";

/** @default "127.0.0.1": loopback only. */
export const DEFAULT_HOST = "127.0.0.1";
/** @default 50051 */
export const DEFAULT_PORT = 50051;
/** @default "/usr/bin/python3", Debian's interpreter, which has numpy. */
export const DEFAULT_PYTHON = "/usr/bin/python3";
/** User and group id of sandboxes when the server runs as root. @default 65534, the "nobody" user on Debian */
export const DEFAULT_SANDBOX_ID = 65534;
/** @default 120000 */
export const DEFAULT_PYTHON_TIMEOUT_MS = 120_000;
/** @default 60000 */
export const DEFAULT_SHELL_TIMEOUT_MS = 60_000;
/** @default 3600000 (one hour) */
export const DEFAULT_MAX_TIMEOUT_MS = 3_600_000;
/** Time between an interrupt and the kill that follows when code ignores it. @default 2000 */
export const DEFAULT_KILL_GRACE_MS = 2_000;
/** @default 10000 */
export const DEFAULT_SESSION_START_TIMEOUT_MS = 10_000;
/** Time that a finished execution stays attachable with StreamOutput. @default 300000 */
export const DEFAULT_FINISHED_RETENTION_MS = 300_000;
/** Sandboxes kept started for sessions of the default launch. @default 2 */
export const DEFAULT_WARM_POOL_SIZE = 2;
/** Largest warm pool accepted, so a typo cannot start thousands of sandboxes. @default 64 */
export const MAX_WARM_POOL_SIZE = 64;

/** Bytes of events kept per execution for StreamOutput; older ones are dropped first. @default 8 MiB */
export const DEFAULT_RETAINED_EVENT_BYTES = 8 * 1024 * 1024;
/** Maximum quiet time on an execution stream before a keepalive event; the minimum is half of it. @default 15000 */
export const DEFAULT_KEEPALIVE_INTERVAL_MS = 15_000;
/** Output cap of one execution when the session sets none. @default 16 MiB */
export const DEFAULT_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Largest output cap a session may ask for. @default 256 MiB */
export const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;
/** Time without executions after which a session is deleted. @default 1800000 (30 minutes) */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 1_800_000;
/** Age at which a session is deleted, even when busy. @default 86400000 (one day) */
export const DEFAULT_SESSION_MAX_LIFETIME_MS = 86_400_000;
/** @default 64 */
export const DEFAULT_MAX_SESSIONS = 64;
/** Executions that may wait behind the running one on one session. @default 32 */
export const DEFAULT_MAX_QUEUED_EXECUTIONS = 32;
/** Directories whose profile files CreateSession may name by path. @default the repository's profiles/ folder */
export const DEFAULT_PROFILE_DIRS: readonly string[] = [PREDEFINED_PROFILES_DIR];
/** Directories under which python_env_path may lie. @default none, so python_env_path is rejected until configured */
export const DEFAULT_PYTHON_ENV_ROOTS: readonly string[] = [];
/** Memory of a session when its request sets none. @default 1 GiB */
export const DEFAULT_MEMORY_BYTES = 1024 ** 3;
/** @default 16 GiB */
export const DEFAULT_MAX_MEMORY_BYTES = 16 * 1024 ** 3;
/** Processes and threads of a session when its request sets none. @default 256 */
export const DEFAULT_MAX_PROCESSES = 256;
/** @default 4096 */
export const DEFAULT_MAX_MAX_PROCESSES = 4096;
/** CPU share of a session when its request sets none, in thousandths of a core. @default 1000 (one core) */
export const DEFAULT_CPU_MILLICORES = 1000;
/** @default 64000 */
export const DEFAULT_MAX_CPU_MILLICORES = 64_000;
/** Workspace size of a session when its request sets none. @default 512 MiB */
export const DEFAULT_DISK_BYTES = 512 * 1024 ** 2;
/** @default 16 GiB */
export const DEFAULT_MAX_DISK_BYTES = 16 * 1024 ** 3;
/** Open files per process when the request sets none. @default 1024 */
export const DEFAULT_OPEN_FILES = 1024;
/** @default 65536 */
export const DEFAULT_MAX_OPEN_FILES = 65_536;
/** Largest file that a process may write when the request sets none. @default 1 GiB */
export const DEFAULT_FILE_SIZE_BYTES = 1024 ** 3;
/** @default 16 GiB */
export const DEFAULT_MAX_FILE_SIZE_BYTES = 16 * 1024 ** 3;
/** Largest Python code or shell command of one execution. @default 1 MiB */
export const DEFAULT_MAX_CODE_BYTES = 1024 * 1024;
/** Largest maxCodeBytes accepted, well below the 16 MiB that the server reads of one request. @default 8 MiB */
export const MAX_MAX_CODE_BYTES = 8 * 1024 * 1024;

const limitValue = z.number().int().nonnegative();

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Returns the directory for workspaces and runtime files when none is configured. */
export function getDefaultStateDir(): string {
  return isRoot() ? "/var/lib/seatbelt" : join(tmpdir(), `seatbelt-${process.getuid?.() ?? "user"}`);
}

/**
 * The server's settings. Each key's description and default are also its
 * --help text: main.ts derives a flag (--kebab-case) and an environment
 * variable (SEATBELT_SNAKE_CASE) for every key, so a key added here needs
 * nothing else to be settable.
 */
export const ServerConfigSchema = z
  .object({
    host: z.string().min(1).default(DEFAULT_HOST).describe("address to listen on"),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT).describe("port to listen on, 0 for any free port"),
    stateDir: z.string().min(1).default(getDefaultStateDir).describe("parent of each server instance's workspaces and runtime copy"),
    python: z.string().startsWith("/").default(DEFAULT_PYTHON).describe("interpreter of the sessions, an absolute path"),
    bubblewrapPath: z.string().startsWith("/").optional().describe("absolute path of bwrap; unset searches the usual install locations"),
    sandboxUid: z.number().int().min(1).optional().describe("user id of the sandboxes; unset: 65534 when the server runs as root, else the server's own user"),
    sandboxGid: z.number().int().min(1).optional().describe("group id of the sandboxes; unset: like the user id"),
    pythonTimeoutMs: z.number().int().positive().default(DEFAULT_PYTHON_TIMEOUT_MS).describe("time a Python execution may run when the request sets none, in ms"),
    shellTimeoutMs: z.number().int().positive().default(DEFAULT_SHELL_TIMEOUT_MS).describe("time a shell execution may run when the request sets none, in ms"),
    maxTimeoutMs: z.number().int().positive().default(DEFAULT_MAX_TIMEOUT_MS).describe("longest timeout a request may set, in ms"),
    killGraceMs: z.number().int().positive().default(DEFAULT_KILL_GRACE_MS).describe("time between an interrupt and the kill that follows, in ms"),
    sessionStartTimeoutMs: z.number().int().positive().default(DEFAULT_SESSION_START_TIMEOUT_MS).describe("time a sandbox may take to start, in ms"),
    finishedRetentionMs: z.number().int().nonnegative().default(DEFAULT_FINISHED_RETENTION_MS).describe("time a finished execution stays attachable with StreamOutput, in ms"),
    retainedEventBytes: z
      .number()
      .int()
      .min(64 * 1024)
      .default(DEFAULT_RETAINED_EVENT_BYTES)
      .describe("bytes of events kept per execution for StreamOutput; a subscriber that falls further behind is told which events it missed"),
    keepaliveIntervalMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_KEEPALIVE_INTERVAL_MS)
      .describe("longest quiet time on an execution stream before the server sends a keepalive event"),
    defaultOutputBytes: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_OUTPUT_BYTES)
      .describe("output cap of one execution when the session's limits set none"),
    maxOutputBytes: z.number().int().positive().default(DEFAULT_MAX_OUTPUT_BYTES).describe("largest output cap that a session may ask for"),
    sessionIdleTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_SESSION_IDLE_TIMEOUT_MS)
      .describe("time without executions after which a session is deleted"),
    sessionMaxLifetimeMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_SESSION_MAX_LIFETIME_MS)
      .describe("age at which a session is deleted, cancelling what it runs"),
    maxSessions: z.number().int().positive().default(DEFAULT_MAX_SESSIONS).describe("sessions that may exist at once"),
    maxQueuedExecutions: z
      .number()
      .int()
      .nonnegative()
      .default(DEFAULT_MAX_QUEUED_EXECUTIONS)
      .describe("executions that may wait behind the running one on one session"),
    profileDirs: z
      .array(z.string().startsWith("/"))
      .default(() => [...DEFAULT_PROFILE_DIRS])
      .describe("directories whose profile files a session may name in seatbelt_profile_path; symbolic links are resolved before the check"),
    pythonEnvRoots: z
      .array(z.string().startsWith("/"))
      .default(() => [...DEFAULT_PYTHON_ENV_ROOTS])
      .describe("directories under which a session's python_env_path may lie; empty rejects every python_env_path"),
    warmPoolSize: z
      .number()
      .int()
      .min(0)
      .max(MAX_WARM_POOL_SIZE)
      .default(DEFAULT_WARM_POOL_SIZE)
      .describe("sandboxes kept started ahead for sessions that set no options; 0 turns the warm pool off"),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info").describe("lowest level of the JSON log lines on stderr"),
    cgroups: z
      .enum(["auto", "off"])
      .default("auto")
      .describe("auto: enforce memory, process and CPU limits with cgroups when the host lets the server create them; off: use resource limits (setrlimit) only"),
    defaultMemoryBytes: limitValue.default(DEFAULT_MEMORY_BYTES).describe("memory of a session whose request sets none, in bytes; 0 for unlimited"),
    maxMemoryBytes: limitValue.default(DEFAULT_MAX_MEMORY_BYTES).describe("largest memory limit that a session may request, in bytes; 0 for no maximum"),
    defaultMaxProcesses: limitValue.default(DEFAULT_MAX_PROCESSES).describe("processes and threads of a session whose request sets none; 0 for unlimited"),
    maxMaxProcesses: limitValue.default(DEFAULT_MAX_MAX_PROCESSES).describe("largest process limit that a session may request; 0 for no maximum"),
    defaultCpuMillicores: limitValue.default(DEFAULT_CPU_MILLICORES).describe("CPU share of a session whose request sets none, in thousandths of a core; 0 for unlimited"),
    maxCpuMillicores: limitValue.default(DEFAULT_MAX_CPU_MILLICORES).describe("largest CPU share that a session may request, in thousandths of a core; 0 for no maximum"),
    defaultDiskBytes: limitValue.default(DEFAULT_DISK_BYTES).describe("workspace size of a session whose request sets none, in bytes; 0 for unlimited"),
    maxDiskBytes: limitValue.default(DEFAULT_MAX_DISK_BYTES).describe("largest workspace size that a session may request, in bytes; 0 for no maximum"),
    defaultOpenFiles: limitValue.default(DEFAULT_OPEN_FILES).describe("open files per process of a session whose request sets none; 0 for the server's own limit"),
    maxOpenFiles: limitValue.default(DEFAULT_MAX_OPEN_FILES).describe("largest open-files limit that a session may request; 0 for no maximum"),
    defaultFileSizeBytes: limitValue.default(DEFAULT_FILE_SIZE_BYTES).describe("largest file that a process of a session whose request sets none may write, in bytes; 0 for unlimited"),
    maxFileSizeBytes: limitValue.default(DEFAULT_MAX_FILE_SIZE_BYTES).describe("largest file-size limit that a session may request, in bytes; 0 for no maximum"),
    metricsHost: z.string().min(1).default(DEFAULT_HOST).describe("address of the Prometheus metrics endpoint"),
    metricsPort: z.number().int().min(0).max(65_535).optional().describe("port of the Prometheus metrics endpoint (GET /metrics), 0 for any free port; unset serves no metrics; it has no authentication"),
    tenantsFile: z.string().min(1).optional().describe('JSON file of tenants and the SHA-256 of their bearer tokens; when set, every RPC but health checks needs "authorization: Bearer TOKEN"'),
    tenantMaxSessions: z.number().int().positive().optional().describe("sessions that one tenant may have at once when its entry in the tenants file sets no max_sessions; unset leaves only maxSessions"),
    insecureNoAuth: z.boolean().default(false).describe("allow listening on an address other than loopback without tokens or client certificates; anyone who can reach the port can then run code"),
    tlsCertFile: z.string().min(1).optional().describe("PEM certificate chain of the server; with tlsKeyFile, the server speaks only TLS"),
    tlsKeyFile: z.string().min(1).optional().describe("PEM private key of tlsCertFile"),
    tlsClientCaFile: z.string().min(1).optional().describe("PEM certificates of the CAs that sign client certificates; when set, every connection needs a client certificate (mutual TLS)"),
    maxCodeBytes: z.number().int().positive().max(MAX_MAX_CODE_BYTES).default(DEFAULT_MAX_CODE_BYTES).describe("largest Python code or shell command of one execution, in bytes"),
  })
  .strict();

export type ServerConfigInput = z.input<typeof ServerConfigSchema>;
export type ServerConfig = z.output<typeof ServerConfigSchema>;

/** Validates configuration and fills every default. */
export function resolveConfig(input: ServerConfigInput = {}): ServerConfig {
  const config = ServerConfigSchema.parse(input);
  if (config.defaultOutputBytes > config.maxOutputBytes) {
    throw new Error(`defaultOutputBytes (${config.defaultOutputBytes}) is above maxOutputBytes (${config.maxOutputBytes})`);
  }
  if ((config.tlsCertFile === undefined) !== (config.tlsKeyFile === undefined)) {
    throw new Error("tlsCertFile and tlsKeyFile must be set together");
  }
  if (config.tlsClientCaFile !== undefined && config.tlsCertFile === undefined) {
    throw new Error("tlsClientCaFile needs tlsCertFile and tlsKeyFile, because client certificates are checked only over TLS");
  }
  if (config.sandboxUid === undefined && isRoot()) {
    config.sandboxUid = DEFAULT_SANDBOX_ID;
    config.sandboxGid ??= DEFAULT_SANDBOX_ID;
  }
  return config;
}
