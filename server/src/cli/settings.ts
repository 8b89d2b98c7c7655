import type { z } from "zod";

/** Environment variables of the server start with this prefix. */
export const ENV_PREFIX = "SEATBELT_";

/** One server setting, as a flag and an environment variable. */
export interface Setting {
  /** Key in the configuration object and in a config file, such as "logLevel". */
  readonly key: string;
  /** Flag name without dashes, such as "log-level". */
  readonly flag: string;
  /** Environment variable, such as "SEATBELT_LOG_LEVEL". */
  readonly env: string;
  /** A list is written as comma-separated values in a flag or variable. */
  readonly type: "string" | "number" | "boolean" | "list";
  /** Allowed values of an enumeration, else undefined. */
  readonly choices: readonly string[] | undefined;
  readonly description: string;
  /** Default value, or undefined when the setting has none. */
  readonly defaultValue: unknown;
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: ZodInternals; defaultValue?: unknown; entries?: Record<string, string> } };
  description?: string;
}

/**
 * Lists the settings of a zod object schema: a flag and an environment
 * variable for each key, typed after the key's schema, with its
 * `.describe()` text and default.
 */
export function listSettings(schema: z.ZodObject): Setting[] {
  return Object.entries(schema.shape).map(([key, field]) => {
    let inner = field as unknown as ZodInternals;
    let description = inner.description;
    let defaultValue: unknown;
    while (inner._zod.def.innerType !== undefined) {
      if (inner._zod.def.type === "default") {
        defaultValue = inner._zod.def.defaultValue;
      }
      inner = inner._zod.def.innerType;
      description ??= inner.description;
    }
    const kind = inner._zod.def.type;
    const entries = inner._zod.def.entries;
    const snake = key.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
    return {
      key,
      flag: snake.replaceAll("_", "-").toLowerCase(),
      env: ENV_PREFIX + snake.toUpperCase(),
      type: toSettingType(kind),
      choices: entries === undefined ? undefined : Object.values(entries),
      description: description ?? "",
      defaultValue,
    };
  });
}

/** Converts a flag's or environment variable's text to the setting's type. */
export function parseSettingValue(setting: Setting, text: string, source: string): unknown {
  if (setting.type === "number") {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value)) {
      throw new Error(`${source}: expected a number, got ${JSON.stringify(text)}`);
    }
    return value;
  }
  if (setting.type === "list") {
    return text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  }
  if (setting.type === "boolean") {
    if (!["true", "false", "1", "0"].includes(text)) {
      throw new Error(`${source}: expected true or false, got ${JSON.stringify(text)}`);
    }
    return text === "true" || text === "1";
  }
  return text;
}

const VALUE_NAMES = { string: "TEXT", number: "NUMBER", list: "A,B,..." } as const;

/** Maps a zod schema type to the kind of value a flag or variable takes. */
function toSettingType(kind: string): Setting["type"] {
  if (kind === "number" || kind === "boolean") {
    return kind;
  }
  return kind === "array" ? "list" : "string";
}

/** Formats the option list of --help: each flag, its variable, its default and its description. */
export function formatSettingsHelp(settings: readonly Setting[]): string {
  return settings
    .map((setting) => {
      let value = "";
      if (setting.type !== "boolean" && setting.choices !== undefined) {
        value = ` ${setting.choices.join("|")}`;
      } else if (setting.type !== "boolean") {
        value = ` ${VALUE_NAMES[setting.type]}`;
      }
      const defaultText = setting.defaultValue === undefined ? "unset" : JSON.stringify(setting.defaultValue);
      return `  --${setting.flag}${value}\n      ${setting.description} (env ${setting.env}; default ${defaultText})\n`;
    })
    .join("");
}
