import { describe, expect, test } from "vitest";
import { parseSbpl } from "../../sbpl/parse.js";
import { hideServerDirs } from "./compile.js";
import type { HostEntry } from "./host-layout.js";
import { type MountPlanInput, type MountStep, SANDBOX_RUNTIME_DIR, getPathAccess, listPlanPaths, planMounts } from "./mount-plan.js";

const WORKSPACE = "/state/workspaces/s1";
const RUNTIME = "/state/runtime";
const EMPTY_FILE = "/state/hidden-file";

/** A merged-/usr host with a state directory under /state. */
const HOST: ReadonlyMap<string, HostEntry> = new Map<string, HostEntry>([
  ["/", { kind: "directory" }],
  ["/usr", { kind: "directory" }],
  ["/bin", { kind: "symlink", target: "usr/bin" }],
  ["/lib", { kind: "symlink", target: "usr/lib" }],
  ["/etc", { kind: "directory" }],
  ["/etc/shadow", { kind: "file" }],
  ["/etc/ssh", { kind: "directory" }],
  ["/data", { kind: "directory" }],
  ["/data/secret", { kind: "directory" }],
  ["/data/secret/public", { kind: "directory" }],
  ["/tmp", { kind: "directory" }],
  ["/run", { kind: "directory" }],
  ["/state", { kind: "directory" }],
  [WORKSPACE, { kind: "directory" }],
  ["/usr/local/linked", { kind: "beneath-symlink" }],
]);

function plan(text: string, overrides: Partial<MountPlanInput> = {}) {
  const profile = parseSbpl(text, { WORKSPACE });
  return planMounts({ profile: hideServerDirs(profile, ["/state"], WORKSPACE), hostEntries: HOST, workspaceDir: WORKSPACE, runtimeDir: RUNTIME, emptyFile: EMPTY_FILE, ...overrides });
}

const BASE = ['(version 1)', "(deny default)", '(allow file-read* (subpath "/usr") (subpath "/etc") (subpath "/tmp"))', '(allow file-read* file-write* (subpath (param "WORKSPACE")) (subpath "/tmp"))'];

function targets(steps: readonly MountStep[]): string[] {
  return steps.map((step) => `${step.kind} ${"target" in step ? step.target : step.path}`);
}

describe("planMounts", () => {
  test("default-like profile mounts", () => {
    const { steps, notes } = plan([...BASE, '(deny file-read* (literal "/etc/shadow") (subpath "/etc/ssh"))', "(allow sysctl-read)", '(allow file-read* file-write* (subpath "/dev"))', '(allow file-read* (subpath "/proc"))'].join("\n"));

    expect(steps).toEqual([
      { kind: "symlink", linkTarget: "usr/bin", path: "/bin" },
      { kind: "dev", target: "/dev" },
      { kind: "tmpfs", target: "/dev/shm", mode: undefined },
      { kind: "ro-bind", source: "/etc", target: "/etc" },
      { kind: "symlink", linkTarget: "usr/lib", path: "/lib" },
      { kind: "proc", target: "/proc" },
      { kind: "tmpfs", target: "/tmp", mode: undefined },
      { kind: "ro-bind", source: "/usr", target: "/usr" },
      { kind: "ro-bind", source: EMPTY_FILE, target: "/etc/shadow" },
      { kind: "tmpfs", target: "/etc/ssh", mode: 0o111 },
      { kind: "bind", source: WORKSPACE, target: WORKSPACE },
      { kind: "ro-bind", source: RUNTIME, target: SANDBOX_RUNTIME_DIR },
      { kind: "remount-ro", target: "/etc/ssh" },
      { kind: "remount-ro", target: "/dev" },
    ]);
    expect(notes).toEqual([]);
  });

  test("paths applied shortest first", () => {
    const { steps } = plan([...BASE, '(allow file-read* (subpath "/data"))', '(deny file-read* (subpath "/data/secret"))', '(allow file-read* (subpath "/data/secret/public"))'].join("\n"));
    const order = targets(steps).filter((step) => step.includes("/data"));

    expect(order).toEqual(["ro-bind /data", "tmpfs /data/secret", "ro-bind /data/secret/public", "remount-ro /data/secret"]);
  });

  test("allowed path under denied parent bound alone", () => {
    const { steps } = plan([...BASE, '(allow file-read* (subpath "/data/secret/public"))'].join("\n"));

    expect(targets(steps)).toContain("ro-bind /data/secret/public");
    expect(targets(steps).filter((step) => step.endsWith(" /data") || step.endsWith(" /data/secret"))).toEqual([]);
  });

  test("writable path under readable parent bound read-write", () => {
    const { steps } = plan([...BASE, '(allow file-read* (subpath "/data"))', '(allow file-write* (subpath "/data/secret"))'].join("\n"));

    expect(steps).toContainEqual({ kind: "bind", source: "/data/secret", target: "/data/secret" });
  });

  test("state directory hidden except workspace", () => {
    const { steps } = plan("(version 1)\n(allow default)");

    expect(steps[0]).toEqual({ kind: "bind", source: "/", target: "/" });
    expect(targets(steps)).toContain("tmpfs /state");
    expect(targets(steps).indexOf("tmpfs /state")).toBeLessThan(targets(steps).indexOf(`bind ${WORKSPACE}`));
  });

  test("readable root replaces run for the runtime", () => {
    const { steps, notes } = plan([...BASE, '(allow file-read* (subpath "/"))'].join("\n"));

    expect(steps[0]).toEqual({ kind: "ro-bind", source: "/", target: "/" });
    expect(steps).toContainEqual({ kind: "tmpfs", target: "/run", mode: 0o755 });
    expect(notes).toContainEqual(expect.objectContaining({ message: expect.stringContaining("/run is an empty directory") }));
  });

  test("proc sys hidden without sysctl-read", () => {
    const { steps } = plan(BASE.join("\n"));

    expect(steps).toContainEqual({ kind: "tmpfs", target: "/proc/sys", mode: 0o111 });
    expect(steps).toContainEqual({ kind: "remount-ro", target: "/proc/sys" });
  });

  test("proc and dev noted when profile hides them", () => {
    const { notes } = plan(BASE.join("\n"));

    expect(notes.map((note) => note.message)).toEqual([
      expect.stringContaining("/dev is mounted although the profile does not allow reading it"),
      expect.stringContaining("/proc is mounted although the profile does not allow reading it"),
    ]);
  });

  test("read-only dev remounted", () => {
    const { steps } = plan([...BASE, '(allow file-read* (subpath "/dev"))'].join("\n"));

    expect(steps).toContainEqual({ kind: "remount-ro", target: "/dev" });
  });

  test("denied folders inside the workspace masked and bound read-only", () => {
    const host = new Map<string, HostEntry>([...HOST, [`${WORKSPACE}/secret`, { kind: "directory" }], [`${WORKSPACE}/ro`, { kind: "directory" }]]);
    const rules = ['(deny file-read* (subpath (string-append (param "WORKSPACE") "/secret")))', '(deny file-write* (subpath (string-append (param "WORKSPACE") "/ro")))'];
    const { steps } = plan([...BASE, ...rules].join("\n"), { hostEntries: host });

    expect(steps).toContainEqual({ kind: "tmpfs", target: `${WORKSPACE}/secret`, mode: 0o111 });
    expect(steps).toContainEqual({ kind: "ro-bind", source: `${WORKSPACE}/ro`, target: `${WORKSPACE}/ro` });
  });

  test("writable dev remounted read-only around its own shm tmpfs", () => {
    const { steps } = plan([...BASE, '(allow file-read* file-write* (subpath "/dev"))'].join("\n"));

    const shm = steps.findIndex((step) => step.kind === "tmpfs" && step.target === "/dev/shm");
    expect(shm).toBe(steps.findIndex((step) => step.kind === "dev") + 1);
    expect(steps).toContainEqual({ kind: "remount-ro", target: "/dev" });
    expect(steps).not.toContainEqual({ kind: "remount-ro", target: "/dev/shm" });
  });

  test("read-only dev gets a read-only shm", () => {
    const { steps } = plan([...BASE, '(allow file-read* (subpath "/dev"))'].join("\n"));

    expect(steps).toContainEqual({ kind: "tmpfs", target: "/dev/shm", mode: undefined });
    expect(steps).toContainEqual({ kind: "remount-ro", target: "/dev/shm" });
  });

  test("hidden shm not mounted", () => {
    const { steps } = plan([...BASE, '(allow file-read* file-write* (subpath "/dev"))', '(deny file-read* (subpath "/dev/shm"))'].join("\n"));

    expect(targets(steps)).not.toContain("tmpfs /dev/shm");
    expect(steps).toContainEqual({ kind: "remount-ro", target: "/dev" });
  });

  test("private tmp read-only when not writable", () => {
    const { steps } = plan(['(version 1)', "(deny default)", '(allow file-read* (subpath "/usr") (subpath "/tmp") (subpath (param "WORKSPACE")))'].join("\n"));

    expect(steps).toContainEqual({ kind: "tmpfs", target: "/tmp", mode: undefined });
    expect(steps).toContainEqual({ kind: "remount-ro", target: "/tmp" });
  });

  test("workspace in the host tmp bound into private tmp", () => {
    const workspace = "/tmp/state/workspaces/s2";
    const host = new Map<string, HostEntry>([...HOST, [workspace, { kind: "directory" }], ["/tmp/state", { kind: "directory" }]]);
    const profile = parseSbpl(BASE.join("\n").replace('(param "WORKSPACE")', `"${workspace}"`), {});

    const { steps } = planMounts({ profile: hideServerDirs(profile, ["/tmp/state"], workspace), hostEntries: host, workspaceDir: workspace, runtimeDir: RUNTIME, emptyFile: EMPTY_FILE });

    expect(targets(steps).indexOf("tmpfs /tmp")).toBeLessThan(targets(steps).indexOf(`bind ${workspace}`));
    expect(targets(steps)).not.toContain("tmpfs /tmp/state");
  });

  test("path beneath a host link not mounted", () => {
    const { steps, notes } = plan([...BASE, '(allow file-read* (subpath "/usr/local/linked"))'].join("\n"));

    expect(targets(steps)).not.toContain("ro-bind /usr/local/linked");
    expect(notes).toContainEqual(expect.objectContaining({ message: expect.stringContaining("/usr/local/linked lies beneath a symbolic link") }));
  });

  test("no host path outside the profile mounted", () => {
    const { steps } = plan(BASE.join("\n"));
    const sources = steps.flatMap((step) => (step.kind === "bind" || step.kind === "ro-bind" ? [step.source] : []));

    expect(sources.sort()).toEqual(["/etc", RUNTIME, "/usr", WORKSPACE].sort());
  });
});

describe("getPathAccess", () => {
  const profile = parseSbpl(['(deny default)', '(allow file-read* (literal "/") (subpath "/usr"))', '(allow file-write* (subpath "/out"))'].join("\n"), {});

  test.each([
    { path: "/", kind: "directory", expected: "none" },
    { path: "/usr", kind: "directory", expected: "read" },
    { path: "/usr/bin/env", kind: "file", expected: "read" },
    { path: "/out", kind: "directory", expected: "none" },
  ] as const)("$path is $expected", ({ path, kind, expected }) => {
    expect(getPathAccess(profile, path, kind)).toBe(expected);
  });
});

describe("listPlanPaths", () => {
  test("rule paths sorted by depth", () => {
    const profile = parseSbpl('(allow file-read* (subpath "/a/b/c") (literal "/z") (subpath "/a"))', {});
    const paths = listPlanPaths(profile, ["/w/x"]);

    expect(paths.indexOf("/a")).toBeLessThan(paths.indexOf("/a/b/c"));
    expect(paths.indexOf("/z")).toBeLessThan(paths.indexOf("/w/x"));
    expect(paths[0]).toBe("/");
  });
});

/**
 * Returns the access that the mounts give a host path: the mount with the
 * longest target above the path decides, as the kernel shows the deepest
 * mount, and a remount-ro of that target makes it read-only.
 */
function simulateAccess(steps: readonly MountStep[], path: string): "none" | "read" | "write" {
  const remounted = new Set(steps.flatMap((step) => (step.kind === "remount-ro" ? [step.target] : [])));
  let winner: (MountStep & { kind: "ro-bind" | "bind" | "tmpfs" }) | undefined;
  for (const step of steps) {
    if (step.kind !== "ro-bind" && step.kind !== "bind" && step.kind !== "tmpfs") {
      continue;
    }
    const covers = step.target === "/" || path === step.target || path.startsWith(`${step.target}/`);
    if (covers && (winner === undefined || step.target.length >= winner.target.length)) {
      winner = step;
    }
  }
  if (winner === undefined || winner.kind === "tmpfs" || (winner.kind === "ro-bind" && winner.source === EMPTY_FILE)) {
    return "none";
  }
  if (winner.kind === "ro-bind" || remounted.has(winner.target)) {
    return "read";
  }
  return "write";
}

describe("planMounts against the evaluator", () => {
  const profiles = {
    layered: [...BASE, '(allow file-read* (subpath "/data"))', '(deny file-read* (subpath "/data/secret"))', '(allow file-read* file-write* (subpath "/data/secret/public"))', '(deny file-read* (literal "/etc/shadow"))'],
    "readable root": ["(version 1)", "(deny default)", '(allow file-read* (subpath "/"))', '(allow file-write* (subpath (param "WORKSPACE")))', '(deny file-read* (subpath "/etc/ssh"))'],
    "allow default": ["(version 1)", "(allow default)", '(deny file-write* (subpath "/usr"))', '(deny file* (subpath "/data/secret"))'],
  };
  const paths = ["/usr", "/usr/bin/env", "/etc", "/etc/passwd", "/etc/shadow", "/etc/ssh/ssh_config", "/data", "/data/x", "/data/secret", "/data/secret/key", "/data/secret/public", "/data/secret/public/file", "/state/other", `${WORKSPACE}/file`];

  test.for(Object.entries(profiles))("%s profile mounts match decisions", ([, lines]) => {
    const profile = hideServerDirs(parseSbpl(lines.join("\n"), { WORKSPACE }), ["/state"], WORKSPACE);
    const { steps } = planMounts({ profile, hostEntries: HOST, workspaceDir: WORKSPACE, runtimeDir: RUNTIME, emptyFile: EMPTY_FILE });

    for (const path of paths) {
      const kind = HOST.get(path)?.kind === "directory" ? "directory" : "file";
      expect({ path, access: simulateAccess(steps, path) }).toEqual({ path, access: getPathAccess(profile, path, kind) });
    }
  });
});
