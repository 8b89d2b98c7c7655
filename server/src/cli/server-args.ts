import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ServerConfigSchema, type ServerConfigInput } from "../config.js";
import { checkSettings } from "./check-settings.js";
import { ENV_PREFIX, type Setting, formatSettingsHelp, listSettings, parseSettingValue } from "./settings.js";

/** Environment variable naming a JSON config file, like --config. */
export const CONFIG_FILE_ENV = `${ENV_PREFIX}CONFIG`;

/** What the command line asks the server to do. */
export type ServerArgs = { readonly help: true; readonly text: string } | { readonly help: false; readonly config: ServerConfigInput };

/** Returns the --help text, with every setting of the config schema. */
export function formatServerHelp(settings: readonly Setting[] = listSettings(ServerConfigSchema)): string {
  return [
    "Usage: seatbelt-server [options]",
    "       seatbelt-server token create [NAME]   (see seatbelt-server token --help)",
    "",
    "Serves sandboxed Python and shell sessions over gRPC, gRPC-Web and Connect.",
    "Each setting comes from its flag, else its environment variable, else the",
    "config file, else its default.",
    "",
    "Options:",
    "  --config FILE",
    `      JSON file with settings by their camelCase names, such as {"logLevel": "debug"} (env ${CONFIG_FILE_ENV})`,
    "  -h, --help",
    "      print this help",
    formatSettingsHelp(settings),
  ].join("\n");
}

/**
 * Reads the server's settings from flags, environment variables and a JSON
 * config file, in that order of precedence. The values are converted to the
 * settings' types and checked against the config schema.
 * @throws SettingsError for a value or config file key that the schema rejects.
 */
export function parseServerArgs(argv: readonly string[], env: NodeJS.ProcessEnv, readFile: (path: string) => string = (path) => readFileSync(path, "utf8")): ServerArgs {
  const settings = listSettings(ServerConfigSchema);
  const options = Object.fromEntries(settings.map((setting) => [setting.flag, { type: setting.type === "boolean" ? ("boolean" as const) : ("string" as const) }]));
  const { values } = parseArgs({ args: [...argv], options: { ...options, config: { type: "string" }, help: { type: "boolean", short: "h" } }, strict: true });
  const flags = values as Record<string, string | boolean | undefined>;
  if (values.help === true) {
    return { help: true, text: formatServerHelp(settings) };
  }

  const configPath = (values.config as string | undefined) ?? env[CONFIG_FILE_ENV];
  const config: Record<string, unknown> = configPath === undefined ? {} : readConfigFile(configPath, readFile);
  const origins = new Map<string, string>();
  for (const setting of settings) {
    const flag = flags[setting.flag];
    const fromEnv = env[setting.env];
    if (flag !== undefined) {
      config[setting.key] = typeof flag === "string" ? parseSettingValue(setting, flag, `--${setting.flag}`) : flag;
      origins.set(setting.key, `--${setting.flag}`);
    } else if (fromEnv !== undefined && fromEnv !== "") {
      config[setting.key] = parseSettingValue(setting, fromEnv, setting.env);
      origins.set(setting.key, setting.env);
    }
  }
  checkSettings(config, origins, configPath);
  return { help: false, config: config as ServerConfigInput };
}

function readConfigFile(path: string, readFile: (path: string) => string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFile(path));
  } catch (error) {
    throw new Error(`failed to read the config file ${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`config file ${path} must hold a JSON object of settings, such as {"port": 50051}`);
  }
  return { ...parsed };
}
