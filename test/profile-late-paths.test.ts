import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { type CreateSessionOptions, ExecutionStatus, Resource } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { limitSupport } from "./support/limits.js";

const IS_ROOT = process.getuid?.() === 0;
const MiB = 1024n * 1024n;
const DEFAULT_PROFILE = readFileSync(join(import.meta.dirname, "../profiles/default.sb"), "utf8");
const DEFAULT_LINES = DEFAULT_PROFILE.split("\n").length;

// The sandbox's /tmp is private, so host paths that it can see lie under /opt,
// which the default profile makes readable; creating them needs root.
let hostDir = "";

beforeAll(() => {
  if (IS_ROOT) {
    hostDir = mkdtempSync("/opt/seatbelt-late-");
    chmodSync(hostDir, 0o755);
  }
});

afterAll(() => {
  if (hostDir !== "") {
    rmSync(hostDir, { recursive: true, force: true });
  }
});

/** Returns session options whose profile is the default one followed by rules, from line DEFAULT_LINES + 1 on. */
function defaultWith(...rules: string[]): CreateSessionOptions {
  return { profile: { source: { case: "seatbeltProfile", value: [DEFAULT_PROFILE, ...rules].join("\n") } } };
}

describe("denied paths that appear after the sandbox starts", () => {
  test.skipIf(!IS_ROOT)("host path created later is noted, and masked once the session restarts", async ({ client }) => {
    const late = join(hostDir, "x", "late.txt");
    const lateDir = join(hostDir, "x", "latedir");
    const session = await client.createSession(defaultWith(`(deny file-read* (literal "${late}") (subpath "${lateDir}"))`));
    try {
      const notes = session.info.profileNotes;
      expect(notes).toContainEqual(expect.objectContaining({ line: DEFAULT_LINES + 1, message: expect.stringContaining(`${late} does not exist when the sandbox starts, so this deny is not enforced there`) }));
      expect(notes).toContainEqual(expect.objectContaining({ line: DEFAULT_LINES + 1, message: expect.stringContaining(`${lateDir} does not exist when the sandbox starts`) }));

      mkdirSync(lateDir, { recursive: true, mode: 0o755 });
      writeFileSync(late, "late secret\n", { mode: 0o644 });
      writeFileSync(join(lateDir, "inner.txt"), "inner secret\n", { mode: 0o644 });
      await session.restart();
      const outcome = await session.runShell(`cat ${late}; cat ${lateDir}/inner.txt; ls ${lateDir}`);

      expect(outcome.stdout).toBe("");
      expect(outcome.stderr).toContain(`cat: ${late}: Permission denied`);
      expect(outcome.stderr).toContain(`cat: ${lateDir}/inner.txt: No such file or directory`);
      expect(outcome.stderr).toContain(`cannot open directory '${lateDir}': Permission denied`);
    } finally {
      await session.close();
    }
  });

  test("workspace folders denied by the profile are masked once the session restarts", async ({ client }) => {
    const session = await client.createSession(
      defaultWith('(deny file-read* (subpath (string-append (param "WORKSPACE") "/secret")))', '(deny file-write* (subpath (string-append (param "WORKSPACE") "/ro")))'),
    );
    try {
      const workspace = session.info.workspaceDir;
      expect(session.info.profileNotes).toContainEqual(expect.objectContaining({ line: DEFAULT_LINES + 1, message: expect.stringContaining(`${workspace}/secret does not exist when the sandbox starts`) }));
      expect(session.info.profileNotes).toContainEqual(expect.objectContaining({ line: DEFAULT_LINES + 2, message: expect.stringContaining("stays readable and writable until the session is restarted") }));
      await session.runShell("mkdir secret ro && echo hidden > secret/key && echo kept > ro/file");

      await session.restart();
      const read = await session.runShell("cat secret/key; ls secret; cat ro/file");
      const write = await session.runShell("echo more > ro/new; echo changed > ro/file; mkdir ro/sub");

      expect(read.stdout).toBe("kept\n");
      expect(read.stderr).toContain("cat: secret/key: No such file or directory");
      expect(read.stderr).toContain("cannot open directory 'secret': Permission denied");
      expect(write.stderr).toContain("ro/new: Read-only file system");
      expect(write.stderr).toContain("ro/file: Read-only file system");
      expect(write.stderr).toMatch(/cannot create directory .ro\/sub.: Read-only file system/);
    } finally {
      await session.close();
    }
  });

  test.skipIf(!IS_ROOT)("literal deny of a directory is noted because its entries stay listable", async ({ client }) => {
    const listed = join(hostDir, "listed");
    mkdirSync(listed, { mode: 0o755 });
    const session = await client.createSession(defaultWith(`(deny file-read* (literal "${listed}"))`));
    try {
      expect(session.info.profileNotes).toContainEqual(expect.objectContaining({ line: DEFAULT_LINES + 1, message: expect.stringContaining(`${listed} is a directory: Linux cannot deny listing it`) }));
    } finally {
      await session.close();
    }
  });
});

describe("/dev", () => {
  test.skipIf(!limitSupport.workspaceTmpfs)("disk limit bounds /dev/shm and the rest of /dev is read-only", async ({ client }) => {
    const session = await client.createSession({ limits: { diskBytes: 16n * MiB } });
    try {
      const semaphore = await session.runPython("import multiprocessing\nlock = multiprocessing.Lock()\nprint(lock.acquire())");
      const shm = await session.runShell("head -c 100M /dev/zero > /dev/shm/big && echo written");
      const dev = await session.runShell("echo x > /dev/big2; echo discarded > /dev/null && echo devices work");

      expect(shm.stderr).toContain("No space left on device");
      expect(shm.stdout).toBe("");
      expect(shm.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
      expect(shm.result.limitExceeded).toBe(Resource.DISK);
      expect(shm.result.message).toContain("disk full: /dev/shm reached its size limit of 16 MiB");
      expect(dev.stderr).toContain("/dev/big2: Read-only file system");
      expect(dev.stdout).toBe("devices work\n");
      expect(semaphore.stdout).toBe("True\n");
    } finally {
      await session.close();
    }
  });
});
