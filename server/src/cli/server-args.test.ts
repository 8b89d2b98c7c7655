import { describe, expect, test } from "vitest";
import { z } from "zod";
import { ServerConfigSchema } from "../config.js";
import { SettingsError } from "./check-settings.js";
import { formatServerHelp, parseServerArgs } from "./server-args.js";
import { listSettings } from "./settings.js";

const noFile = (path: string): string => {
  throw new Error(`ENOENT: no such file, open '${path}'`);
};

describe("listSettings", () => {
  test("derives flag, variable, type and default from a schema", () => {
    const schema = z.object({
      warmPoolSize: z.number().int().default(2).describe("sandboxes kept ready"),
      profileDir: z.string().optional().describe("folder of profiles"),
      mode: z.enum(["fast", "safe"]).default("safe").describe("how to run"),
      verbose: z.boolean().default(false).describe("say more"),
    });

    expect(listSettings(schema)).toEqual([
      { key: "warmPoolSize", flag: "warm-pool-size", env: "SEATBELT_WARM_POOL_SIZE", type: "number", choices: undefined, description: "sandboxes kept ready", defaultValue: 2 },
      { key: "profileDir", flag: "profile-dir", env: "SEATBELT_PROFILE_DIR", type: "string", choices: undefined, description: "folder of profiles", defaultValue: undefined },
      { key: "mode", flag: "mode", env: "SEATBELT_MODE", type: "string", choices: ["fast", "safe"], description: "how to run", defaultValue: "safe" },
      { key: "verbose", flag: "verbose", env: "SEATBELT_VERBOSE", type: "boolean", choices: undefined, description: "say more", defaultValue: false },
    ]);
  });

  test("every server setting has a description", () => {
    for (const setting of listSettings(ServerConfigSchema)) {
      expect(setting.description, setting.key).not.toBe("");
    }
  });
});

describe("parseServerArgs", () => {
  test("flag beats variable beats config file", () => {
    const file = JSON.stringify({ port: 1, host: "127.0.0.2", killGraceMs: 5 });
    const env = { SEATBELT_PORT: "2", SEATBELT_HOST: "127.0.0.3" };

    const args = parseServerArgs(["--port", "3", "--config", "/etc/seatbelt.json"], env, () => file);

    expect(args).toEqual({ help: false, config: { port: 3, host: "127.0.0.3", killGraceMs: 5 } });
  });

  test("config file comes from SEATBELT_CONFIG", () => {
    const args = parseServerArgs([], { SEATBELT_CONFIG: "/etc/seatbelt.json" }, (path) => (path === "/etc/seatbelt.json" ? '{"logLevel": "debug"}' : "{}"));

    expect(args).toEqual({ help: false, config: { logLevel: "debug" } });
  });

  test("list setting takes comma-separated values", () => {
    const args = parseServerArgs(["--profile-dirs", "/etc/seatbelt, /opt/profiles"], {}, noFile);

    expect(args).toEqual({ help: false, config: { profileDirs: ["/etc/seatbelt", "/opt/profiles"] } });
  });

  test("number setting rejects text", () => {
    expect(() => parseServerArgs(["--metrics-port", "many"], {}, noFile)).toThrow('--metrics-port: expected a number, got "many"');
    expect(() => parseServerArgs([], { SEATBELT_PORT: "" }, noFile)).not.toThrow();
  });

  test("unreadable config file names the path", () => {
    expect(() => parseServerArgs(["--config", "/missing.json"], {}, noFile)).toThrow("failed to read the config file /missing.json: ENOENT");
  });

  test("config file must hold an object", () => {
    expect(() => parseServerArgs(["--config", "/list.json"], {}, () => "[1]")).toThrow("config file /list.json must hold a JSON object of settings");
  });

  test("invalid log level names the flag", () => {
    expect(() => parseServerArgs(["--log-level", "verbose"], {}, noFile)).toThrow(/^--log-level: Invalid option: expected one of .*, got "verbose"$/);
  });

  test("invalid port names the variable", () => {
    expect(() => parseServerArgs([], { SEATBELT_PORT: "-5" }, noFile)).toThrow(/^SEATBELT_PORT: .*, got -5$/);
  });

  test("unknown config file key names file and key", () => {
    const parse = () => parseServerArgs(["--config", "/etc/seatbelt.json"], {}, () => '{"colour": true}');

    expect(parse).toThrow(SettingsError);
    expect(parse).toThrow('config file /etc/seatbelt.json: unknown setting "colour"');
  });

  test("invalid config file value names file and key", () => {
    expect(() => parseServerArgs(["--config", "/etc/seatbelt.json"], {}, () => '{"port": "x"}')).toThrow('config file /etc/seatbelt.json, key "port": ');
  });

  test("unknown flag is rejected", () => {
    expect(() => parseServerArgs(["--colour"], {}, noFile)).toThrow("Unknown option '--colour'");
  });
});

describe("formatServerHelp", () => {
  test("lists every setting with its variable and default", () => {
    const help = formatServerHelp();

    for (const setting of listSettings(ServerConfigSchema)) {
      expect(help).toContain(`--${setting.flag}`);
      expect(help).toContain(`env ${setting.env}; default `);
    }
    expect(help).toContain("--log-level fatal|error|warn|info|debug|trace|silent");
    expect(help).toContain('(env SEATBELT_PORT; default 50051)');
    expect(help).toContain("(env SEATBELT_METRICS_PORT; default unset)");
  });
});
