import { describe, expect, test } from "vitest";
import { type MountStep, SANDBOX_RUNTIME_DIR } from "./mount-plan.js";
import { type BubblewrapPlanOptions, buildBubblewrapArgs } from "./plan.js";

/** The mounts of a merged-/usr host under a profile like the default one. */
const MOUNTS: readonly MountStep[] = [
  { kind: "symlink", linkTarget: "usr/bin", path: "/bin" },
  { kind: "dev", target: "/dev" },
  { kind: "ro-bind", source: "/etc", target: "/etc" },
  { kind: "proc", target: "/proc" },
  { kind: "tmpfs", target: "/tmp", mode: undefined },
  { kind: "ro-bind", source: "/usr", target: "/usr" },
  { kind: "tmpfs", target: "/etc/ssh", mode: 0o000 },
  { kind: "bind", source: "/var/lib/seatbelt/workspaces/sess_0123", target: "/var/lib/seatbelt/workspaces/sess_0123" },
  { kind: "ro-bind", source: "/opt/seatbelt/server/runtime", target: SANDBOX_RUNTIME_DIR },
  { kind: "remount-ro", target: "/etc/ssh" },
];

const WORKSPACE_DIR = "/var/lib/seatbelt/workspaces/sess_0123";

function planOptions(overrides: Partial<BubblewrapPlanOptions> = {}): BubblewrapPlanOptions {
  return {
    mounts: MOUNTS,
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
  test("seccomp filter fd follows the dropped capabilities", () => {
    const args = buildBubblewrapArgs(planOptions({ seccompFd: 6 }));

    expect(indexOfSequence(args, ["--cap-drop", "ALL", "--seccomp", "6", "--clearenv"])).toBeGreaterThan(0);
  });

  test("no seccomp option without a filter fd", () => {
    expect(buildBubblewrapArgs(planOptions())).not.toContain("--seccomp");
  });

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
      "--symlink",
      "usr/bin",
      "/bin",
      "--dev",
      "/dev",
      "--ro-bind",
      "/etc",
      "/etc",
      "--proc",
      "/proc",
      "--tmpfs",
      "/tmp",
      "--ro-bind",
      "/usr",
      "/usr",
      "--perms",
      "0000",
      "--tmpfs",
      "/etc/ssh",
      "--bind",
      WORKSPACE_DIR,
      WORKSPACE_DIR,
      "--ro-bind",
      "/opt/seatbelt/server/runtime",
      "/run/seatbelt",
      "--remount-ro",
      "/etc/ssh",
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

  test("perms come right before their tmpfs", () => {
    const args = buildBubblewrapArgs(planOptions());

    expect(indexOfSequence(args, ["--perms", "0000", "--tmpfs", "/etc/ssh"])).toBeGreaterThan(-1);
    expect(indexOfSequence(args, ["--tmpfs", "/tmp"])).toBe(args.indexOf("--tmpfs"));
    expect(args[args.indexOf("--tmpfs") - 1]).not.toBe("0000");
  });

  test("tmp size limits /tmp, /var/tmp and /dev/shm only", () => {
    const mounts: MountStep[] = [...MOUNTS, { kind: "tmpfs", target: "/var/tmp", mode: undefined }, { kind: "tmpfs", target: "/dev/shm", mode: undefined }];
    const args = buildBubblewrapArgs(planOptions({ mounts, tmpSizeBytes: 1048576 }));

    expect(indexOfSequence(args, ["--size", "1048576", "--tmpfs", "/tmp"])).toBeGreaterThan(-1);
    expect(indexOfSequence(args, ["--size", "1048576", "--tmpfs", "/var/tmp"])).toBeGreaterThan(-1);
    expect(indexOfSequence(args, ["--size", "1048576", "--tmpfs", "/dev/shm"])).toBeGreaterThan(-1);
    expect(indexOfSequence(args, ["--perms", "0000", "--tmpfs", "/etc/ssh"])).toBeGreaterThan(-1);
    expect(args.filter((word) => word === "--size")).toHaveLength(3);
  });

  test("no tmp size leaves tmpfs unlimited", () => {
    expect(buildBubblewrapArgs(planOptions())).not.toContain("--size");
  });
});
