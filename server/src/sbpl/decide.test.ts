import { describe, expect, test } from "vitest";
import { decide, explainDecision, isSubpath } from "./decide.js";
import { parseSbpl } from "./parse.js";

function profileOf(...lines: string[]) {
  return parseSbpl(lines.join("\n"), { WORKSPACE: "/work" });
}

describe("decide", () => {
  test("no default rule denies", () => {
    expect(decide(profileOf("(version 1)"), "file-read-data", "/usr")).toBe("deny");
  });

  test("allow default allows everything unmatched", () => {
    const profile = profileOf("(allow default)", '(deny file-write* (subpath "/usr"))');

    expect(decide(profile, "file-read-data", "/usr/bin/env")).toBe("allow");
    expect(decide(profile, "file-write-data", "/usr/bin/env")).toBe("deny");
    expect(decide(profile, "network-outbound")).toBe("allow");
  });

  test("default rule is the starting point wherever it stands", () => {
    const profile = profileOf('(allow file-read* (subpath "/usr"))', "(deny default)");

    expect(decide(profile, "file-read-data", "/usr/lib")).toBe("allow");
  });

  test("last matching rule wins", () => {
    const profile = profileOf("(deny default)", '(allow file-read* (subpath "/data"))', '(deny file-read* (subpath "/data/secret"))', '(allow file-read* (literal "/data/secret/public.txt"))');

    expect(decide(profile, "file-read-data", "/data/a.txt")).toBe("allow");
    expect(decide(profile, "file-read-data", "/data/secret/key")).toBe("deny");
    expect(decide(profile, "file-read-data", "/data/secret/public.txt")).toBe("allow");
    expect(decide(profile, "file-read-data", "/other")).toBe("deny");
  });

  test("families cover their operations", () => {
    const profile = profileOf("(deny default)", "(allow network*)", '(allow file-read-metadata (subpath "/"))');

    expect(decide(profile, "network-bind")).toBe("allow");
    expect(decide(profile, "file-read-metadata", "/etc")).toBe("allow");
    expect(decide(profile, "file-read-data", "/etc")).toBe("deny");
  });

  test("filtered rule needs a path", () => {
    const profile = profileOf("(deny default)", '(allow network-outbound (remote ip "localhost:*"))');

    expect(decide(profile, "network-outbound")).toBe("deny");
  });

  test.each([
    { filter: '(subpath "/a")', path: "/a", expected: "allow" },
    { filter: '(subpath "/a")', path: "/a/b/c", expected: "allow" },
    { filter: '(subpath "/a")', path: "/ab", expected: "deny" },
    { filter: '(literal "/a")', path: "/a/b", expected: "deny" },
    { filter: '(prefix "/a")', path: "/ab", expected: "allow" },
    { filter: '(regex #"^/a/[0-9]+$")', path: "/a/42", expected: "allow" },
    { filter: '(regex #"^/a/[0-9]+$")', path: "/a/x", expected: "deny" },
    { filter: '(require-all (subpath "/a") (require-not (subpath "/a/b")))', path: "/a/b/c", expected: "deny" },
    { filter: '(require-all (subpath "/a") (require-not (subpath "/a/b")))', path: "/a/c", expected: "allow" },
    { filter: '(require-any (literal "/x") (literal "/y"))', path: "/y", expected: "allow" },
  ])("$filter on $path is $expected", ({ filter, path, expected }) => {
    expect(decide(profileOf("(deny default)", `(allow file-read* ${filter})`), "file-read-data", path)).toBe(expected);
  });

  test("decision names its rule", () => {
    const profile = profileOf("(deny default)", '(allow file-read* (subpath "/usr"))');

    expect(explainDecision(profile, "file-read-data", "/usr/bin").rule?.position.line).toBe(2);
    expect(explainDecision(profile, "file-read-data", "/etc").rule?.text).toBe("(deny default)");
  });
});

describe("isSubpath", () => {
  test.each([
    { path: "/a/b", dir: "/a", expected: true },
    { path: "/a", dir: "/a/", expected: true },
    { path: "/ab", dir: "/a", expected: false },
    { path: "/anything", dir: "/", expected: true },
  ])("$path under $dir is $expected", ({ path, dir, expected }) => {
    expect(isSubpath(path, dir)).toBe(expected);
  });
});
