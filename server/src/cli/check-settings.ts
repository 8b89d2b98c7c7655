import type { z } from "zod";
import { ServerConfigSchema } from "../config.js";

/** A setting that the config schema rejects; the message names where the value came from. */
export class SettingsError extends Error {
  override name = "SettingsError";
}

/**
 * Validates the assembled settings against the config schema, so that a bad
 * value is reported with the flag, variable or config file that gave it
 * rather than as a schema error at start-up.
 * @param origins The flag ("--port") or variable ("SEATBELT_PORT") of each key that did not come from the config file.
 * @throws SettingsError naming the origin, the key and the problem of each invalid setting.
 */
export function checkSettings(config: Record<string, unknown>, origins: ReadonlyMap<string, string>, configPath: string | undefined): void {
  const parsed = ServerConfigSchema.safeParse(config);
  if (parsed.success) {
    return;
  }
  const fileOrigin = configPath === undefined ? "settings" : `config file ${configPath}`;
  const messages = parsed.error.issues.map((issue) => describeIssue(issue, config, origins, fileOrigin));
  throw new SettingsError(messages.join("; "));
}

function describeIssue(issue: z.core.$ZodIssue, config: Record<string, unknown>, origins: ReadonlyMap<string, string>, fileOrigin: string): string {
  if (issue.code === "unrecognized_keys") {
    const keys = issue.keys.map((key) => JSON.stringify(key)).join(", ");
    return `${fileOrigin}: unknown setting ${keys}; run with --help to list the settings`;
  }
  const key = String(issue.path[0] ?? "");
  const origin = origins.get(key) ?? `${fileOrigin}, key ${JSON.stringify(key)}`;
  return `${origin}: ${issue.message}, got ${JSON.stringify(config[key])}`;
}
