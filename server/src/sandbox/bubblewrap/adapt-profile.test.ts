import { describe, expect, test } from "vitest";
import { decide } from "../../sbpl/decide.js";
import { parseSbpl } from "../../sbpl/parse.js";
import { adaptProfileForLinux, allowsNetwork, getRegexDirectory } from "./adapt-profile.js";
import { mapMacosPath } from "./linux-paths.js";

function adapt(...lines: string[]) {
  return adaptProfileForLinux(parseSbpl(lines.join("\n"), {}));
}

describe("mapMacosPath", () => {
  test.each([
    { path: "/private/tmp", expected: ["/tmp"] },
    { path: "/private/var/tmp/x", expected: ["/var/tmp/x"] },
    { path: "/private/etc/hosts", expected: ["/etc/hosts"] },
    { path: "/Users", expected: ["/home", "/root"] },
    { path: "/Users/alice/code", expected: ["/home/alice/code"] },
    { path: "/usr/bin", expected: ["/usr/bin"] },
    { path: "/.", expected: ["/"] },
  ])("$path maps to $expected", ({ path, expected }) => {
    const mapped = mapMacosPath(path);

    expect(mapped.kind).not.toBe("dropped");
    expect(mapped.kind === "dropped" ? [] : mapped.paths).toEqual(expected);
  });

  test.each(["/System", "/Library/Frameworks", "/private/var/folders/xy", "/Applications"])("%s dropped", (path) => {
    expect(mapMacosPath(path)).toMatchObject({ kind: "dropped", reason: expect.stringContaining("exists only on macOS") });
  });
});

describe("adaptProfileForLinux", () => {
  test("mapped path noted with its line", () => {
    const { profile, notes } = adapt("(deny default)", '(allow file-read* (subpath "/private/tmp"))');

    expect(decide(profile, "file-read-data", "/tmp/x")).toBe("allow");
    expect(notes).toContainEqual({ line: 2, column: 1, rule: '(allow file-read* (subpath "/private/tmp"))', message: expect.stringContaining("/private/tmp maps to /tmp") });
  });

  test("regex allow matches nothing", () => {
    const { profile, notes } = adapt("(deny default)", '(allow file-read* (regex #"^/data/[0-9]+"))');

    expect(decide(profile, "file-read-data", "/data/1")).toBe("deny");
    expect(notes[0]).toMatchObject({ line: 2, message: expect.stringContaining("this allow matches nothing") });
  });

  test("regex deny covers its literal directory", () => {
    const { profile, notes } = adapt("(allow default)", '(deny file-read* (regex #"^/data/secret[0-9]+"))');

    expect(decide(profile, "file-read-data", "/data/other")).toBe("deny");
    expect(decide(profile, "file-read-data", "/etc/hosts")).toBe("allow");
    expect(notes[0]?.message).toContain("the deny covers all of /data");
  });

  test.each([
    { pattern: "^/a/b/", expected: "/a/b" },
    { pattern: "^/a/b$", expected: "/a/b" },
    { pattern: "^/a/b.*", expected: "/a" },
    { pattern: "^/a/b", expected: "/a" },
    { pattern: "\\.ssh", expected: "/" },
    { pattern: "^/", expected: "/" },
  ])("regex $pattern bounded by $expected", ({ pattern, expected }) => {
    expect(getRegexDirectory(pattern)).toBe(expected);
  });

  test("prefix allow narrowed and deny widened", () => {
    const allow = adapt("(deny default)", '(allow file-read* (prefix "/data/log"))');
    const deny = adapt("(allow default)", '(deny file-read* (prefix "/data/log"))');

    expect(decide(allow.profile, "file-read-data", "/data/log/a")).toBe("allow");
    expect(decide(allow.profile, "file-read-data", "/data/logs")).toBe("deny");
    expect(decide(deny.profile, "file-read-data", "/data/other")).toBe("deny");
    expect(allow.notes[0]?.message).toContain('taken as subpath "/data/log"');
    expect(deny.notes[0]?.message).toContain('taken as subpath "/data"');
  });

  test("require-not flips the safe direction", () => {
    const { profile } = adapt("(deny default)", '(allow file-read* (require-all (subpath "/data") (require-not (regex #"^/data/secret"))))');

    expect(decide(profile, "file-read-data", "/data/public")).toBe("deny");
  });

  test("macOS-only operations noted", () => {
    const { notes } = adapt("(allow default)", "(allow mach-lookup)", "(allow iokit-open)");

    expect(notes.map((note) => note.line)).toEqual([2, 3]);
    expect(notes[0]?.message).toContain("Mach services do not exist on Linux");
  });

  test("unenforced process-exec noted", () => {
    const { notes } = adapt("(deny default)", '(allow process-exec (literal "/usr/bin/python3"))');

    expect(notes).toContainEqual(expect.objectContaining({ line: 1, message: expect.stringContaining("process-exec is denied, but not enforced on Linux") }));
    expect(notes).toContainEqual(expect.objectContaining({ line: 2, message: expect.stringContaining("for some targets only cannot be enforced") }));
  });

  test("network needs outbound, inbound and bind", () => {
    expect(allowsNetwork(adapt("(deny default)", "(allow network*)").profile)).toBe(true);
    expect(allowsNetwork(adapt("(deny default)").profile)).toBe(false);

    const outboundOnly = adapt("(deny default)", "(allow network-outbound)");
    expect(allowsNetwork(outboundOnly.profile)).toBe(false);
    expect(outboundOnly.notes).toContainEqual(expect.objectContaining({ line: 1, message: expect.stringContaining("network-inbound is denied while network-outbound is allowed") }));
  });

  test("filtered network deny applies to every target", () => {
    const { profile, notes } = adapt("(allow default)", '(deny network-outbound (remote ip "*:25"))');

    expect(allowsNetwork(profile)).toBe(false);
    expect(notes[0]?.message).toContain("applies to every target");
  });

  test("partial file operation noted", () => {
    const { notes } = adapt("(deny default)", "(allow file-read-metadata)");

    expect(notes[0]).toMatchObject({ line: 2, message: expect.stringContaining("file-read-metadata: Linux mounts grant reading") });
  });
});
