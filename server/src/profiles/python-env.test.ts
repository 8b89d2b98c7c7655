import { describe, expect, test } from "vitest";
import { getInterpreterPrefix, readVenvHome } from "./python-env.js";

describe("readVenvHome", () => {
  test.each([
    { name: "home key", config: "home = /usr/bin\ninclude-system-site-packages = false\n", expected: "/usr/bin" },
    { name: "spaces around value", config: "version = 3.11.2\n  home   =   /opt/python/bin  \n", expected: "/opt/python/bin" },
    { name: "no home key", config: "version = 3.11.2\n", expected: undefined },
    { name: "key that only ends in home", config: "pythonhome = /x\n", expected: undefined },
  ])("$name", ({ config, expected }) => {
    expect(readVenvHome(config)).toBe(expected);
  });
});

describe("getInterpreterPrefix", () => {
  test("prefix is two levels up", () => {
    expect(getInterpreterPrefix("/usr/bin/python3")).toBe("/usr");
    expect(getInterpreterPrefix("/opt/venvs/a/bin/python3")).toBe("/opt/venvs/a");
  });
});
