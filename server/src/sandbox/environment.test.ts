import { describe, expect, test } from "vitest";
import { buildBaseEnvironment, buildSessionEnvironment } from "./environment.js";

const WORKSPACE_DIR = "/var/lib/seatbelt/workspaces/sess_0123";

describe("buildBaseEnvironment", () => {
  test("contains exactly the allowlisted names", () => {
    const environment = buildBaseEnvironment(WORKSPACE_DIR);

    expect(Object.keys(environment).sort()).toEqual(
      ["HOME", "LANG", "LC_ALL", "LOGNAME", "MPLBACKEND", "PATH", "PYTHONUNBUFFERED", "SHELL", "TERM", "TMPDIR", "USER"].sort(),
    );
  });

  test("HOME is the workspace", () => {
    expect(buildBaseEnvironment(WORKSPACE_DIR).HOME).toBe(WORKSPACE_DIR);
    expect(buildBaseEnvironment("/elsewhere").HOME).toBe("/elsewhere");
  });

  test("fixed values match the sandbox layout", () => {
    const environment = buildBaseEnvironment(WORKSPACE_DIR);

    expect(environment.TMPDIR).toBe("/tmp");
    expect(environment.LANG).toBe("C.UTF-8");
    expect(environment.LC_ALL).toBe("C.UTF-8");
    expect(environment.PYTHONUNBUFFERED).toBe("1");
    expect(environment.PATH?.split(":")).not.toContain("");
  });

  test("server environment does not leak", () => {
    const name = "SEATBELT_TEST_LEAK_CHECK";
    process.env[name] = "secret";
    try {
      expect(buildBaseEnvironment(WORKSPACE_DIR)).not.toHaveProperty(name);
      expect(buildSessionEnvironment(WORKSPACE_DIR, {})).not.toHaveProperty(name);
    } finally {
      delete process.env[name];
    }
  });

  test("each call returns a fresh object", () => {
    const first = buildBaseEnvironment(WORKSPACE_DIR);
    first.PATH = "/changed";

    expect(buildBaseEnvironment(WORKSPACE_DIR).PATH).not.toBe("/changed");
  });
});

describe("buildSessionEnvironment", () => {
  test("empty session env returns base", () => {
    expect(buildSessionEnvironment(WORKSPACE_DIR, {})).toEqual(buildBaseEnvironment(WORKSPACE_DIR));
  });

  test("session env adds new names", () => {
    const environment = buildSessionEnvironment(WORKSPACE_DIR, { API_MODE: "test", EMPTY: "" });

    expect(environment.API_MODE).toBe("test");
    expect(environment.EMPTY).toBe("");
    expect(environment.PATH).toBe(buildBaseEnvironment(WORKSPACE_DIR).PATH);
  });

  test("session env overrides base names", () => {
    const environment = buildSessionEnvironment(WORKSPACE_DIR, { HOME: "/custom-home", LANG: "en_US.UTF-8" });

    expect(environment.HOME).toBe("/custom-home");
    expect(environment.LANG).toBe("en_US.UTF-8");
    expect(environment.LC_ALL).toBe("C.UTF-8");
  });
});
