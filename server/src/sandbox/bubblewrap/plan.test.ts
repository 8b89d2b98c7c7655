import { describe, expect, test } from "vitest";
import { SYSTEM_PATHS, type HostEntry } from "./host-layout.js";
import { type BubblewrapPlanOptions, SANDBOX_RUNTIME_DIR, buildBubblewrapArgs } from "./plan.js";

/** A merged-/usr host: /bin, /lib and /sbin are links into /usr. */
const MERGED_USR_LAYOUT: readonly HostEntry[] = [
  { path: "/usr", kind: "directory" },
  { path: "/bin", kind: "symlink", target: "usr/bin" },
  { path: "/sbin", kind: "symlink", target: "usr/sbin" },
  { path: "/lib", kind: "symlink", target: "usr/lib" },
  { path: "/lib64", kind: "symlink", target: "usr/lib64" },
  { path: "/etc", kind: "directory" },
  { path: "/opt", kind: "directory" },
];

const WORKSPACE_DIR = "/var/lib/seatbelt/workspaces/sess_0123";

function planOptions(overrides: Partial<BubblewrapPlanOptions> = {}): BubblewrapPlanOptions {
  return {
    hostLayout: MERGED_USR_LAYOUT,
    runtimeDir: "/opt/seatbelt/server/runtime",
    workspaceDir: WORKSPACE_DIR,
    python: "/usr/bin/python3",
    environment: { PATH: "/usr/bin:/bin", HOME: WORKSPACE_DIR, LANG: "C.UTF-8" },
    network: false,
    infoFd: 5,
    ...overrides,
  };
}

/** Returns the index of the first occurrence of sequence in args, or -1. */
function indexOfSequence(args: readonly string[], sequence: readonly string[]): number {
  for (let start = 0; start + sequence.length <= args.length; start++) {
    if (sequence.every((word, offset) => args[start + offset] === word)) {
      return start;
    }
  }
  return -1;
}

describe("buildBubblewrapArgs", () => {
  test("argv for merged-/usr host", () => {
    expect(buildBubblewrapArgs(planOptions())).toEqual([
      "--unshare-all",
      "--unshare-user",
      "--disable-userns",
      "--hostname",
      "seatbelt",
      "--new-session",
      "--die-with-parent",
      "--info-fd",
      "5",
      "--cap-drop",
      "ALL",
      "--clearenv",
      "--setenv",
      "PATH",
      "/usr/bin:/bin",
      "--setenv",
      "HOME",
      WORKSPACE_DIR,
      "--setenv",
      "LANG",
      "C.UTF-8",
      "--ro-bind",
      "/usr",
      "/usr",
      "--symlink",
      "usr/bin",
      "/bin",
      "--symlink",
      "usr/sbin",
      "/sbin",
      "--symlink",
      "usr/lib",
      "/lib",
      "--symlink",
      "usr/lib64",
      "/lib64",
      "--ro-bind",
      "/etc",
      "/etc",
      "--ro-bind",
      "/opt",
      "/opt",
      "--proc",
      "/proc",
      "--dev",
      "/dev",
      "--tmpfs",
      "/tmp",
      "--tmpfs",
      "/var/tmp",
      "--ro-bind",
      "/opt/seatbelt/server/runtime",
      "/run/seatbelt",
      "--bind",
      WORKSPACE_DIR,
      WORKSPACE_DIR,
      "--chdir",
      WORKSPACE_DIR,
      "--remount-ro",
      "/",
      "--",
      "/usr/bin/python3",
      "-s",
      "-E",
      "/run/seatbelt/supervisor.py",
    ]);
  });

  test("clearenv comes before every setenv", () => {
    const args = buildBubblewrapArgs(planOptions());
    const clearenv = args.indexOf("--clearenv");

    expect(clearenv).toBeGreaterThan(-1);
    expect(args.indexOf("--setenv")).toBeGreaterThan(clearenv);
  });

  test("remount-ro of root follows every mount", () => {
    const args = buildBubblewrapArgs(planOptions());
    const remount = indexOfSequence(args, ["--remount-ro", "/"]);
    const separator = args.indexOf("--");
    const mountOptions = ["--ro-bind", "--bind", "--symlink", "--proc", "--dev", "--tmpfs"];
    const lastMount = Math.max(...mountOptions.map((option) => args.lastIndexOf(option)));

    expect(remount).toBeGreaterThan(lastMount);
    expect(separator).toBe(remount + 2);
  });

  test("runtime mounted read-only at /run/seatbelt", () => {
    const args = buildBubblewrapArgs(planOptions());

    expect(SANDBOX_RUNTIME_DIR).toBe("/run/seatbelt");
    expect(indexOfSequence(args, ["--ro-bind", "/opt/seatbelt/server/runtime", SANDBOX_RUNTIME_DIR])).toBeGreaterThan(-1);
    expect(args.slice(-4)).toEqual(["/usr/bin/python3", "-s", "-E", `${SANDBOX_RUNTIME_DIR}/supervisor.py`]);
  });

  test("workspace bound writable at same path", () => {
    const args = buildBubblewrapArgs(planOptions());
    const bind = indexOfSequence(args, ["--bind", WORKSPACE_DIR, WORKSPACE_DIR]);
    const tmpfs = indexOfSequence(args, ["--tmpfs", "/tmp"]);

    expect(bind).toBeGreaterThan(tmpfs);
    expect(indexOfSequence(args, ["--chdir", WORKSPACE_DIR])).toBeGreaterThan(bind);
  });

  test("network true adds --share-net", () => {
    const args = buildBubblewrapArgs(planOptions({ network: true }));

    expect(args.filter((word) => word === "--share-net")).toHaveLength(1);
    // bubblewrap reads options left to right, so --share-net must follow
    // --unshare-all to undo the network part of it.
    expect(args.indexOf("--share-net")).toBeGreaterThan(args.indexOf("--unshare-all"));
  });

  test("network false omits --share-net", () => {
    const args = buildBubblewrapArgs(planOptions({ network: false }));

    expect(args).not.toContain("--share-net");
    expect(args).toContain("--unshare-all");
  });

  test("no argument invokes a shell", () => {
    const args = buildBubblewrapArgs(planOptions({ network: true }));
    const command = args.slice(args.indexOf("--") + 1);

    expect(args).not.toContain("-c");
    expect(command[0]).not.toMatch(/(^|\/)(ba|da|z)?sh$/);
    for (const word of args) {
      expect(word).not.toMatch(/^\/bin\/(ba|da|z)?sh$/);
    }
  });

  test("environment values stay single arguments", () => {
    const value = "a b; $(touch /tmp/x) 'quoted' \"double\"";
    const args = buildBubblewrapArgs(planOptions({ environment: { ODD: value } }));

    expect(indexOfSequence(args, ["--setenv", "ODD", value])).toBeGreaterThan(-1);
  });

  test("home directories never mounted", () => {
    const layout: HostEntry[] = SYSTEM_PATHS.map((path) => ({ path, kind: "directory" }));
    const args = buildBubblewrapArgs(planOptions({ hostLayout: layout }));

    expect(SYSTEM_PATHS).not.toContain("/home");
    expect(SYSTEM_PATHS).not.toContain("/root");
    for (const word of args) {
      expect(word).not.toMatch(/^\/(home|root)(\/|$)/);
    }
  });

  test("directories ro-bind and symlinks link", () => {
    const args = buildBubblewrapArgs(
      planOptions({
        hostLayout: [
          { path: "/usr", kind: "directory" },
          { path: "/lib", kind: "symlink", target: "usr/lib" },
        ],
      }),
    );

    expect(indexOfSequence(args, ["--ro-bind", "/usr", "/usr"])).toBeGreaterThan(-1);
    expect(indexOfSequence(args, ["--symlink", "usr/lib", "/lib"])).toBeGreaterThan(-1);
    expect(indexOfSequence(args, ["--ro-bind", "/lib", "/lib"])).toBe(-1);
  });
});
