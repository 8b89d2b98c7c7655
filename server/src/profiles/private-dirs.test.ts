import { describe, expect, test } from "vitest";
import { describeReplacedDir } from "./private-dirs.js";

describe("describeReplacedDir", () => {
  test.each(["/tmp", "/tmp/data", "/var/tmp/cache", "/proc/self", "/dev", "/dev/shm"])("rejects %s", (dir) => {
    expect(describeReplacedDir(dir)).toContain(`so ${dir} cannot be shown`);
  });

  test.each(["/tmpdata", "/var", "/srv/tmp", "/devices", "/home/user"])("accepts %s", (dir) => {
    expect(describeReplacedDir(dir)).toBeUndefined();
  });

  test("names the private temporary directory", () => {
    expect(describeReplacedDir("/var/tmp/x")).toContain("a private, empty /var/tmp");
  });
});
