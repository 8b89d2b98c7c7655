import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll } from "vitest";
import { ExecutionStatus, type SeatbeltClient, type SeatbeltSession, createSeatbeltClient } from "../client/src/index.js";
import type { CreateSessionOptions } from "../client/src/client.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";

const IS_ROOT = process.getuid?.() === 0;
const MARKER = `seatbelt-source-${randomBytes(6).toString("hex")}`;

/** A profile file's text; its comment names the test run, so a test can tell them apart. */
const VALID_PROFILE = `; ${MARKER}\n(version 1)\n(deny default)\n(allow process-exec)\n(allow process-fork)\n(allow file-read* (subpath "/usr") (subpath "/etc") (subpath (param "WORKSPACE")))\n(allow file-write* (subpath (param "WORKSPACE")))\n`;

let baseDir: string;
let profileDir: string;
let envRoot: string;
let server: SeatbeltServer;
let client: SeatbeltClient;

beforeAll(async () => {
  baseDir = mkdtempSync("/opt/seatbelt-sources-");
  chmodSync(baseDir, 0o755);
  profileDir = join(baseDir, "profiles");
  mkdirSync(profileDir, { mode: 0o755 });
  writeFileSync(join(profileDir, "team.sb"), VALID_PROFILE);
  writeFileSync(join(profileDir, "broken.sb"), "(version 1)\n(allow file-read*\n");
  writeFileSync(join(baseDir, "outside.sb"), VALID_PROFILE);
  symlinkSync(join(baseDir, "outside.sb"), join(profileDir, "escape.sb"));
  symlinkSync(join(profileDir, "team.sb"), join(profileDir, "alias.sb"));
  envRoot = join(baseDir, "envs");
  mkdirSync(envRoot, { mode: 0o755 });

  server = await startTestServer({ profileDirs: [profileDir], pythonEnvRoots: [envRoot] });
  client = createSeatbeltClient({ baseUrl: server.url });
});

afterAll(async () => {
  await server?.close();
  rmSync(baseDir, { recursive: true, force: true });
});

async function createError(options: CreateSessionOptions): Promise<ConnectError> {
  try {
    const session = await client.createSession(options);
    await session.close();
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected CreateSession to fail");
}

async function withSession<T>(options: CreateSessionOptions, run: (session: SeatbeltSession) => Promise<T>): Promise<T> {
  const session = await client.createSession(options);
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

function fromPath(path: string): CreateSessionOptions {
  return { profile: { source: { case: "seatbeltProfilePath", value: path } } };
}

function fromText(text: string): CreateSessionOptions {
  return { profile: { source: { case: "seatbeltProfile", value: text } } };
}

describe("profile from a path", () => {
  test("file inside profile directory used", async () => {
    await withSession(fromPath(join(profileDir, "team.sb")), async (session) => {
      const outcome = await session.runShell("echo ok > made.txt && cat made.txt && ls /opt");

      expect(session.info.profileName).toBe("team.sb");
      expect(outcome.stdout).toBe("ok\n");
      expect(outcome.stderr).toContain("No such file or directory");
    });
  });

  test("symlink inside profile directory to a file inside works", async () => {
    await withSession(fromPath(join(profileDir, "alias.sb")), async (session) => {
      expect(session.info.profileName).toBe("alias.sb");
    });
  });

  test.each([
    { name: "file outside", path: () => join(baseDir, "outside.sb") },
    { name: "symlink leading outside", path: () => join(profileDir, "escape.sb") },
    { name: "dot-dot leading outside", path: () => join(profileDir, "..", "outside.sb") },
    { name: "system file", path: () => "/etc/passwd" },
  ])("$name rejected as PermissionDenied", async ({ path }) => {
    const error = await createError(fromPath(path()));

    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toContain("is outside the server's profile directories");
    expect(error.rawMessage).not.toContain(MARKER);
    expect(error.rawMessage).not.toContain("root:");
  });

  test("missing file is NotFound", async () => {
    const error = await createError(fromPath(join(profileDir, "missing.sb")));

    expect(error.code).toBe(Code.NotFound);
    expect(error.rawMessage).toContain("missing.sb");
  });

  test("relative path is InvalidArgument", async () => {
    const error = await createError(fromPath("profiles/team.sb"));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("must be an absolute path");
  });

  test("malformed file reports line and column", async () => {
    const error = await createError(fromPath(join(profileDir, "broken.sb")));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain('invalid profile: line 2, column 1: unbalanced parentheses: "(" is never closed');
  });
});

describe("malformed profile text", () => {
  test.each([
    { name: "unbalanced parentheses", text: "(version 1)\n(deny default)\n(allow file-read* (subpath \"/usr\")\n", fragment: 'line 3, column 1: unbalanced parentheses: "(" is never closed' },
    { name: "unknown operation", text: "(version 1)\n(allow file-read-everything)", fragment: 'line 2, column 8: unknown operation "file-read-everything"' },
    { name: "bad filter", text: '(version 1)\n(allow file-read* (subdirectory "/usr"))', fragment: 'line 2, column 20: unknown filter "subdirectory"' },
    { name: "unknown parameter", text: '(version 1)\n(allow file-read* (subpath (param "DATA")))', fragment: 'line 2, column 28: parameter "DATA" is not defined; defined: WORKSPACE, TMPDIR, HOME, PYTHON_ENV, PYTHON' },
    { name: "deeply nested list", text: `(version 1)\n${"(".repeat(50_000)}${")".repeat(50_000)}`, fragment: "line 2, column 65: lists are nested more than 64 deep" },
  ])("$name is InvalidArgument", async ({ text, fragment }) => {
    const error = await createError(fromText(text));

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain(fragment);
  });

  test("profile hiding the workspace is FailedPrecondition", async () => {
    const error = await createError(fromText('(version 1)\n(deny default)\n(allow process-exec)\n(allow process-fork)\n(allow file-read* (subpath "/usr"))'));

    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("the profile does not let the sandbox read the workspace");
  });
});

describe("profile notes", () => {
  test("adapted rules listed with their lines", async () => {
    const text = ['(version 1)', "(deny default)", "(allow mach-lookup)", '(allow file-read* (subpath "/usr") (subpath "/etc") (subpath "/System") (subpath (param "WORKSPACE")))', '(deny file-read* (regex #"^/usr/share/doc/"))'].join("\n");

    await withSession(fromText(text), async (session) => {
      const fetched = await client.getSession(session.id);
      const notes = fetched.info.profileNotes.map((note) => ({ line: note.line, column: note.column, rule: note.rule, message: note.message }));

      expect(session.info.profileName).toBe("custom");
      expect(notes).toContainEqual({ line: 3, column: 1, rule: "(allow mach-lookup)", message: expect.stringContaining("Mach services do not exist on Linux") });
      expect(notes).toContainEqual(expect.objectContaining({ line: 4, message: "/System exists only on macOS, so the filter was dropped" }));
      expect(notes).toContainEqual(expect.objectContaining({ line: 5, message: expect.stringContaining("the deny covers all of /usr/share/doc") }));
      expect(notes).toContainEqual(expect.objectContaining({ line: 2, message: expect.stringContaining("process-exec is denied, but not enforced on Linux") }));
      expect(fetched.info.network).toBe(false);
    });
  });
});

describe("additional directories", () => {
  test("read and write dirs extend the profile", async () => {
    const readDir = mkdtempSync(join(baseDir, "read-"));
    const writeDir = mkdtempSync(join(baseDir, "write-"));
    chmodSync(readDir, 0o755);
    chmodSync(writeDir, 0o777);
    writeFileSync(join(readDir, "data.txt"), "shared data\n", { mode: 0o644 });

    await withSession({ profile: { source: { case: "name", value: "read-only" }, additionalReadDirs: [readDir], additionalWriteDirs: [writeDir] } }, async (session) => {
      const read = await session.runShell(`cat ${readDir}/data.txt`);
      const readWrite = await session.runShell(`touch ${readDir}/new.txt`);
      const write = await session.runShell(`echo out > ${writeDir}/out.txt`);

      expect(read.stdout).toBe("shared data\n");
      expect(readWrite.exitCode).not.toBe(0);
      expect(write.exitCode).toBe(0);
      expect(execFileSync("cat", [join(writeDir, "out.txt")], { encoding: "utf8" })).toBe("out\n");
    });
  });

  test("missing directory is InvalidArgument", async () => {
    const error = await createError({ profile: { additionalReadDirs: [join(baseDir, "nope")] } });

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain("is not an existing directory");
  });

  test.skipIf(process.platform !== "linux")("directory under /tmp is InvalidArgument", async () => {
    const error = await createError({ profile: { additionalWriteDirs: ["/tmp"] } });

    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.rawMessage).toContain('additional_write_dirs entry "/tmp" is rejected: the sandbox always mounts a private, empty /tmp');
  });
});

describe("python_env_path", () => {
  test.skipIf(!IS_ROOT)("virtual environment in allowed root used", async () => {
    const venv = join(envRoot, "venv");
    execFileSync("/usr/bin/python3", ["-m", "venv", "--without-pip", venv]);

    await withSession({ pythonEnvPath: venv }, async (session) => {
      const outcome = await session.runPython("import sys\nprint(sys.prefix)\nprint(sys.base_prefix)");

      expect(outcome.status).toBe(ExecutionStatus.OK);
      expect(outcome.stdout).toBe(`${venv}\n/usr\n`);
    });
  });

  test("environment outside allowed roots is PermissionDenied", async () => {
    const error = await createError({ pythonEnvPath: "/usr" });

    expect(error.code).toBe(Code.PermissionDenied);
    expect(error.rawMessage).toContain("is outside the allowed environment roots");
  });

  test("environment without interpreter is FailedPrecondition", async () => {
    const empty = mkdtempSync(join(envRoot, "empty-"));

    const error = await createError({ pythonEnvPath: empty });

    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toContain("has no executable bin/python3");
  });
});
