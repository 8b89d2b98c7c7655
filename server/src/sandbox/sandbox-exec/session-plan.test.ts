import { describe, expect, test } from "vitest";
import { readPredefinedProfile } from "../../profiles/predefined.js";
import { SbplError } from "../../sbpl/reader.js";
import { type SandboxExecSessionInput, planSandboxExecSession } from "./session-plan.js";

const BASE: Omit<SandboxExecSessionInput, "profile"> = {
  pythonEnv: undefined,
  defaultPython: "/usr/bin/python3",
  workspaceDir: "/private/var/seatbelt/workspaces/s1",
  tmpDir: "/private/var/folders/ab/T/seatbelt-s1",
  runtimeDir: "/private/var/seatbelt/runtime",
};

describe("planSandboxExecSession", () => {
  test("default profile with server parameters", async () => {
    const text = await readPredefinedProfile("default");

    const args = planSandboxExecSession({ ...BASE, profile: { name: "default", text, additionalReadDirs: [], additionalWriteDirs: [] } });

    expect(args.slice(0, 2)).toEqual(["/usr/bin/sandbox-exec", "-p"]);
    expect(args[2]).toContain(text);
    expect(args[2]).toContain('(allow file-read* (subpath "/private/var/seatbelt/runtime"))');
    expect(args.slice(3)).toEqual([
      "-D",
      "WORKSPACE=/private/var/seatbelt/workspaces/s1",
      "-D",
      "TMPDIR=/private/var/folders/ab/T/seatbelt-s1",
      "-D",
      "HOME=/private/var/seatbelt/workspaces/s1",
      "-D",
      "PYTHON_ENV=/usr",
      "-D",
      "PYTHON=/usr/bin/python3",
      "/usr/bin/python3",
      "-s",
      "-E",
      "/private/var/seatbelt/runtime/supervisor.py",
    ]);
  });

  test("python environment and added dirs appended", () => {
    const args = planSandboxExecSession({
      ...BASE,
      pythonEnv: { prefix: "/opt/envs/a", interpreter: "/opt/envs/a/bin/python3", readableDirs: ["/opt/envs/a", "/usr"] },
      profile: { name: "custom", text: "(version 1)\n(deny default)", additionalReadDirs: ["/data"], additionalWriteDirs: ["/scratch"] },
    });

    expect(args[2]).toContain('(allow file-read* (subpath "/private/var/seatbelt/runtime") (subpath "/opt/envs/a") (subpath "/usr") (subpath "/data"))');
    expect(args[2]).toContain('(allow file-read* file-write* (subpath "/scratch"))');
    expect(args).toContain("PYTHON_ENV=/opt/envs/a");
    expect(args.at(-4)).toBe("/opt/envs/a/bin/python3");
  });

  test("malformed profile rejected before planning", () => {
    const plan = () => planSandboxExecSession({ ...BASE, profile: { name: "custom", text: "(version 1)\n(allow file-read*", additionalReadDirs: [], additionalWriteDirs: [] } });

    expect(plan).toThrow(SbplError);
    expect(plan).toThrow("line 2, column 1");
  });
});
