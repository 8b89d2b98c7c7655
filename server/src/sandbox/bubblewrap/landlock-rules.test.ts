import { describe, expect, test } from "vitest";
import { isSubpath } from "../../sbpl/decide.js";
import { readPredefinedProfile } from "../../profiles/predefined.js";
import { type ProfileRequest, buildSessionProfile } from "../../profiles/session-profile.js";
import { compileLinuxProfile } from "./compile.js";
import type { HostEntry } from "./host-layout.js";
import { type LandlockRule } from "./landlock-rules.js";
import { type MountStep, SANDBOX_RUNTIME_DIR } from "./mount-plan.js";

const WORKSPACE = "/state/workspaces/s1";
const PYTHON = "/usr/bin/python3";
const SHARED = "/data/shared";

/** A merged-/usr Debian host with the server's state directory under /state. */
const HOST: ReadonlyMap<string, HostEntry> = new Map<string, HostEntry>([
  ["/", { kind: "directory" }],
  ["/usr", { kind: "directory" }],
  ["/bin", { kind: "symlink", target: "usr/bin" }],
  ["/sbin", { kind: "symlink", target: "usr/sbin" }],
  ["/lib", { kind: "symlink", target: "usr/lib" }],
  ["/lib64", { kind: "symlink", target: "usr/lib64" }],
  ["/etc", { kind: "directory" }],
  ["/etc/shadow", { kind: "file" }],
  ["/etc/gshadow", { kind: "file" }],
  ["/etc/ssh", { kind: "directory" }],
  ["/etc/ssl/private", { kind: "directory" }],
  ["/opt", { kind: "directory" }],
  ["/dev", { kind: "directory" }],
  ["/proc", { kind: "directory" }],
  ["/tmp", { kind: "directory" }],
  ["/var/tmp", { kind: "directory" }],
  ["/run", { kind: "directory" }],
  ["/state", { kind: "directory" }],
  [WORKSPACE, { kind: "directory" }],
  ["/data", { kind: "directory" }],
  [SHARED, { kind: "directory" }],
]);

async function compile(name: string, additionalWriteDirs: readonly string[] = []) {
  const request: ProfileRequest = { name, text: await readPredefinedProfile(name), additionalReadDirs: [], additionalWriteDirs };
  const parameters = { WORKSPACE, TMPDIR: "/tmp", HOME: WORKSPACE, PYTHON_ENV: "/usr", PYTHON };
  const profile = buildSessionProfile(request, parameters, []);
  return compileLinuxProfile({ profile, hostEntries: HOST, workspaceDir: WORKSPACE, runtimeDir: "/state/runtime", hiddenDirs: ["/state"], emptyFile: "/state/empty", python: PYTHON });
}

/** Returns the access that the rules grant at path, the strongest of the rules above it. */
function grantedAt(rules: readonly LandlockRule[], path: string): "none" | "read" | "write" {
  const above = rules.filter((rule) => isSubpath(path, rule.path));
  if (above.some((rule) => rule.access === "write")) {
    return "write";
  }
  return above.length > 0 ? "read" : "none";
}

/** Returns the binds of a mount plan that give more than the rules grant at their target. */
function findBindsBeyondRules(mounts: readonly MountStep[], rules: readonly LandlockRule[]): string[] {
  return mounts.flatMap((step) => {
    if (step.kind !== "bind" && step.kind !== "ro-bind") {
      return [];
    }
    const needed = step.kind === "bind" ? "write" : "read";
    const granted = grantedAt(rules, step.target);
    const enough = granted === "write" || granted === needed;
    // An empty file bound over a hidden path shows nothing, so it needs no grant.
    return enough || step.source === "/state/empty" ? [] : [`${step.kind} ${step.target}`];
  });
}

describe("deriveLandlockRules", () => {
  test("default profile grants system reading and workspace writing", async () => {
    const plan = await compile("default");

    expect(plan.landlockRules).toEqual([
      { path: "/dev", access: "write" },
      { path: "/etc", access: "read" },
      { path: "/opt", access: "read" },
      { path: "/tmp", access: "write" },
      { path: "/usr", access: "read" },
      { path: "/proc", access: "read" },
      { path: SANDBOX_RUNTIME_DIR, access: "read" },
      { path: WORKSPACE, access: "write" },
    ]);
  });

  test("default profile grants nothing at the root or the state directory", async () => {
    const { landlockRules } = await compile("default");

    expect(grantedAt(landlockRules, "/")).toBe("none");
    expect(grantedAt(landlockRules, "/state")).toBe("none");
    expect(grantedAt(landlockRules, "/state/workspaces/s2")).toBe("none");
    expect(grantedAt(landlockRules, "/home")).toBe("none");
  });

  test("read-only profile grants the workspace for reading only", async () => {
    const { landlockRules } = await compile("read-only");

    expect(landlockRules).toContainEqual({ path: WORKSPACE, access: "read" });
    expect(grantedAt(landlockRules, `${WORKSPACE}/file.txt`)).toBe("read");
    expect(grantedAt(landlockRules, "/tmp")).toBe("write");
  });

  test("strict profile grants what the default profile grants", async () => {
    const strict = await compile("strict");
    const defaults = await compile("default");

    expect(strict.landlockRules).toEqual(defaults.landlockRules);
  });

  test("additional write directories are granted for writing", async () => {
    const { landlockRules } = await compile("read-only", [SHARED]);

    expect(landlockRules).toContainEqual({ path: SHARED, access: "write" });
    expect(grantedAt(landlockRules, "/data")).toBe("none");
    expect(grantedAt(landlockRules, WORKSPACE)).toBe("read");
  });

  test("runtime paths are granted even when the profile denies them", async () => {
    const request: ProfileRequest = {
      name: "custom",
      text: `(version 1) (deny default) (allow file-read* (subpath "/usr") (subpath "${WORKSPACE}"))`,
      additionalReadDirs: [],
      additionalWriteDirs: [],
    };
    const profile = buildSessionProfile(request, {}, []);
    const plan = compileLinuxProfile({ profile, hostEntries: HOST, workspaceDir: WORKSPACE, runtimeDir: "/state/runtime", hiddenDirs: ["/state"], emptyFile: "/state/empty", python: PYTHON });

    expect(plan.landlockRules).toEqual([
      { path: "/usr", access: "read" },
      { path: "/proc", access: "read" },
      { path: "/dev/null", access: "write" },
      { path: SANDBOX_RUNTIME_DIR, access: "read" },
      { path: WORKSPACE, access: "read" },
    ]);
  });

  test.each(["default", "network", "read-only", "strict"])("every bind of the %s profile lies within the rules", async (name) => {
    const plan = await compile(name, [SHARED]);

    expect(findBindsBeyondRules(plan.mounts, plan.landlockRules)).toEqual([]);
  });

  test("a writable bind that the profile does not allow lies outside the rules", async () => {
    const plan = await compile("read-only");
    const wrongMounts = plan.mounts.map((step): MountStep => (step.kind === "ro-bind" && step.target === WORKSPACE ? { ...step, kind: "bind" } : step));
    const extraMounts: MountStep[] = [...plan.mounts, { kind: "bind", source: "/state", target: "/state" }, { kind: "ro-bind", source: "/data", target: "/data" }];

    expect(findBindsBeyondRules(wrongMounts, plan.landlockRules)).toEqual([`bind ${WORKSPACE}`]);
    expect(findBindsBeyondRules(extraMounts, plan.landlockRules)).toEqual(["bind /state", "ro-bind /data"]);
  });
});
