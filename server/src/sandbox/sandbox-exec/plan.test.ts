import { describe, expect, test } from "vitest";
import { parseSbpl } from "../../sbpl/parse.js";
import { decide } from "../../sbpl/decide.js";
import { buildSandboxExecArgs } from "./plan.js";
import { SANDBOX_EXEC_PATH, UnsafePathError, buildSandboxExecProfile, quoteSbplPath } from "./profile-text.js";

const PROFILE = '(version 1)\n(deny default)\n(allow file-read* (subpath (param "WORKSPACE")))\n';
const PARAMETERS = { WORKSPACE: "/Users/ada/work", TMPDIR: "/private/var/folders/x/T/seatbelt-1", HOME: "/Users/ada/work", PYTHON_ENV: "/usr", PYTHON: "/usr/bin/python3" };

describe("quoteSbplPath", () => {
  test.each([
    { path: "/Users/ada", expected: '"/Users/ada"' },
    { path: '/tmp/with "quotes"', expected: '"/tmp/with \\"quotes\\""' },
    { path: "/tmp/back\\slash", expected: '"/tmp/back\\\\slash"' },
    { path: '/tmp/end\\"', expected: '"/tmp/end\\\\\\""' },
  ])("$path quoted", ({ path, expected }) => {
    expect(quoteSbplPath(path)).toBe(expected);
  });

  test.each(["/tmp/a\nb", "/tmp/a\0b", "/tmp/a\rb"])("%j rejected", (path) => {
    expect(() => quoteSbplPath(path)).toThrow(UnsafePathError);
    expect(() => quoteSbplPath(path)).toThrow("contains a NUL or a newline");
  });

  test("quoted paths read back unchanged", () => {
    const path = '/tmp/odd \\ "name" (x) ; y';
    const profile = parseSbpl(`(allow file-read* (literal ${quoteSbplPath(path)}))`, {});

    expect(profile.rules[0]!.filter).toEqual({ kind: "literal", path });
  });
});

describe("buildSandboxExecProfile", () => {
  test("added directories follow the profile", () => {
    const text = buildSandboxExecProfile(PROFILE, { runtimeDir: "/var/seatbelt/runtime", readDirs: ["/data"], writeDirs: ['/out "1"'] });

    expect(text).toBe(
      [
        "(version 1)",
        "(deny default)",
        '(allow file-read* (subpath (param "WORKSPACE")))',
        "",
        "; Added by the Seatbelt server.",
        '(allow file-read* (subpath "/var/seatbelt/runtime") (subpath "/data"))',
        '(allow file-read* file-write* (subpath "/out \\"1\\""))',
        "",
      ].join("\n"),
    );
  });

  test("added rules win over the profile", () => {
    const text = buildSandboxExecProfile(`${PROFILE}(deny file-write* (subpath "/out"))`, { runtimeDir: "/rt", readDirs: [], writeDirs: ["/out"] });
    const profile = parseSbpl(text, PARAMETERS);

    expect(decide(profile, "file-write-data", "/out/x")).toBe("allow");
    expect(decide(profile, "file-read-data", "/rt/supervisor.py")).toBe("allow");
    expect(decide(profile, "file-read-data", "/etc/passwd")).toBe("deny");
  });

  test("profile with a newline in a directory rejected", () => {
    expect(() => buildSandboxExecProfile(PROFILE, { runtimeDir: "/rt", readDirs: ["/a\n(allow default)"], writeDirs: [] })).toThrow(UnsafePathError);
  });
});

describe("buildSandboxExecArgs", () => {
  test("argv for one session", () => {
    const args = buildSandboxExecArgs({ profileText: PROFILE, parameters: PARAMETERS, python: "/usr/bin/python3", runtimeDir: "/var/seatbelt/runtime" });

    expect(args).toEqual([
      "/usr/bin/sandbox-exec",
      "-p",
      PROFILE,
      "-D",
      "WORKSPACE=/Users/ada/work",
      "-D",
      "TMPDIR=/private/var/folders/x/T/seatbelt-1",
      "-D",
      "HOME=/Users/ada/work",
      "-D",
      "PYTHON_ENV=/usr",
      "-D",
      "PYTHON=/usr/bin/python3",
      "/usr/bin/python3",
      "-s",
      "-E",
      "/var/seatbelt/runtime/supervisor.py",
    ]);
    expect(args[0]).toBe(SANDBOX_EXEC_PATH);
  });

  test("parameter with a newline rejected", () => {
    expect(() => buildSandboxExecArgs({ profileText: PROFILE, parameters: { WORKSPACE: "/a\nb" }, python: "/usr/bin/python3", runtimeDir: "/rt" })).toThrow(UnsafePathError);
  });

  test("parameter value with spaces stays one argument", () => {
    const args = buildSandboxExecArgs({ profileText: PROFILE, parameters: { WORKSPACE: "/Users/ada/my work; rm -rf ~" }, python: "/usr/bin/python3", runtimeDir: "/rt" });

    expect(args).toContain("WORKSPACE=/Users/ada/my work; rm -rf ~");
  });

  test("invalid parameter name rejected", () => {
    expect(() => buildSandboxExecArgs({ profileText: PROFILE, parameters: { "A=B": "/x" }, python: "/usr/bin/python3", runtimeDir: "/rt" })).toThrow("parameter name");
  });

  test("NUL in profile text rejected", () => {
    expect(() => buildSandboxExecArgs({ profileText: "(version 1)\0", parameters: {}, python: "/usr/bin/python3", runtimeDir: "/rt" })).toThrow("NUL");
  });
});
