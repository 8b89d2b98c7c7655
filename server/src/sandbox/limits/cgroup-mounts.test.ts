import { describe, expect, test } from "vitest";
import { findV1Dirs, parseCgroupMounts, parseProcessCgroups, resolveCgroupDir } from "./cgroup-mounts.js";

/** A hybrid host: v1 controllers, one of them mounted with two, plus an empty unified hierarchy. */
const HYBRID_MOUNTINFO = [
  "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755",
  "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct",
  "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory",
  "39 31 0:36 / /sys/fs/cgroup/pids rw,relatime shared:9 - cgroup cgroup rw,pids",
  "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw",
].join("\n");

const HYBRID_SELF = ["8:pids:/", "4:memory:/jobs/42", "1:cpu,cpuacct:/", "0::/"].join("\n");

describe("parseCgroupMounts", () => {
  test("finds v1 and v2 mounts", () => {
    expect(parseCgroupMounts(HYBRID_MOUNTINFO)).toEqual([
      { version: 1, mountPoint: "/sys/fs/cgroup/cpu,cpuacct", root: "/", controllers: ["rw", "cpu", "cpuacct"] },
      { version: 1, mountPoint: "/sys/fs/cgroup/memory", root: "/", controllers: ["rw", "memory"] },
      { version: 1, mountPoint: "/sys/fs/cgroup/pids", root: "/", controllers: ["rw", "pids"] },
      { version: 2, mountPoint: "/sys/fs/cgroup/unified", root: "/", controllers: [] },
    ]);
  });

  test("octal escapes in paths decoded", () => {
    const [mount] = parseCgroupMounts("50 31 0:40 / /mnt/cgroup\\040two rw - cgroup2 cgroup2 rw");

    expect(mount?.mountPoint).toBe("/mnt/cgroup two");
  });
});

describe("parseProcessCgroups", () => {
  test("splits joined controllers and reads v2 path", () => {
    const cgroups = parseProcessCgroups(HYBRID_SELF);

    expect(cgroups.v1.get("memory")).toBe("/jobs/42");
    expect(cgroups.v1.get("cpu")).toBe("/");
    expect(cgroups.v1.get("cpuacct")).toBe("/");
    expect(cgroups.v2).toBe("/");
  });

  test("pure v2 host has no v1 paths", () => {
    const cgroups = parseProcessCgroups("0::/system.slice/seatbelt.service\n");

    expect(cgroups.v1.size).toBe(0);
    expect(cgroups.v2).toBe("/system.slice/seatbelt.service");
  });
});

describe("resolveCgroupDir", () => {
  test("path joined below mount point", () => {
    expect(resolveCgroupDir({ version: 2, mountPoint: "/sys/fs/cgroup", root: "/", controllers: [] }, "/a/b")).toBe("/sys/fs/cgroup/a/b");
  });

  test("root cgroup is the mount point", () => {
    expect(resolveCgroupDir({ version: 2, mountPoint: "/sys/fs/cgroup", root: "/", controllers: [] }, "/")).toBe("/sys/fs/cgroup");
  });

  test("bind-mounted subtree strips its root", () => {
    expect(resolveCgroupDir({ version: 1, mountPoint: "/sys/fs/cgroup/memory", root: "/docker/abc", controllers: [] }, "/docker/abc/x")).toBe("/sys/fs/cgroup/memory/x");
  });

  test("path outside bind-mounted subtree unresolved", () => {
    expect(resolveCgroupDir({ version: 1, mountPoint: "/sys/fs/cgroup/memory", root: "/docker/abc", controllers: [] }, "/other")).toBeUndefined();
  });
});

describe("findV1Dirs", () => {
  test("maps each controller to the process's own cgroup", () => {
    const dirs = findV1Dirs(parseCgroupMounts(HYBRID_MOUNTINFO), parseProcessCgroups(HYBRID_SELF));

    expect(Object.fromEntries(dirs)).toEqual({
      memory: "/sys/fs/cgroup/memory/jobs/42",
      pids: "/sys/fs/cgroup/pids",
      cpu: "/sys/fs/cgroup/cpu,cpuacct",
      cpuacct: "/sys/fs/cgroup/cpu,cpuacct",
    });
  });
});
