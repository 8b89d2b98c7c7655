import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";

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

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Returns the directory for workspaces and runtime files when none is configured. */
export function getDefaultStateDir(): string {
  return isRoot() ? "/var/lib/seatbelt" : join(tmpdir(), `seatbelt-${process.getuid?.() ?? "user"}`);
}

export const ServerConfigSchema = z
  .object({
    host: z.string().min(1).default(DEFAULT_HOST),
    port: z.number().int().min(0).max(65_535).default(DEFAULT_PORT),
    /** Parent of each server instance's workspaces and runtime copy. */
    stateDir: z.string().min(1).default(getDefaultStateDir),
    python: z.string().startsWith("/").default(DEFAULT_PYTHON),
    /** Absolute path of bwrap; unset searches the usual install locations. */
    bubblewrapPath: z.string().startsWith("/").optional(),
    /** Unset: 65534 when the server runs as root, else the server's own user. */
    sandboxUid: z.number().int().min(1).optional(),
    sandboxGid: z.number().int().min(1).optional(),
    pythonTimeoutMs: z.number().int().positive().default(DEFAULT_PYTHON_TIMEOUT_MS),
    shellTimeoutMs: z.number().int().positive().default(DEFAULT_SHELL_TIMEOUT_MS),
    maxTimeoutMs: z.number().int().positive().default(DEFAULT_MAX_TIMEOUT_MS),
    killGraceMs: z.number().int().positive().default(DEFAULT_KILL_GRACE_MS),
    sessionStartTimeoutMs: z.number().int().positive().default(DEFAULT_SESSION_START_TIMEOUT_MS),
    finishedRetentionMs: z.number().int().nonnegative().default(DEFAULT_FINISHED_RETENTION_MS),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type ServerConfigInput = z.input<typeof ServerConfigSchema>;
export type ServerConfig = z.output<typeof ServerConfigSchema>;

/** Validates configuration and fills every default. */
export function resolveConfig(input: ServerConfigInput = {}): ServerConfig {
  const config = ServerConfigSchema.parse(input);
  if (config.sandboxUid === undefined && isRoot()) {
    config.sandboxUid = DEFAULT_SANDBOX_ID;
    config.sandboxGid ??= DEFAULT_SANDBOX_ID;
  }
  return config;
}
