import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ExecutionStatus, type SeatbeltClient, type SeatbeltSession } from "../client/src/index.js";
import { buildBaseEnvironment } from "../server/src/sandbox/environment.js";
import { afterAll } from "vitest";
import { describe, expect, test } from "./support/fixtures.js";

// The file's server starts with the first test, after this runs, so a server
// that handed its own environment to sandboxes would hand over this variable.
const SECRET_NAME = "SEATBELT_TEST_SECRET";
const SECRET_VALUE = `secret-${randomBytes(16).toString("hex")}`;
process.env[SECRET_NAME] = SECRET_VALUE;

const SESSION_ENV = { GREETING: "hi" };

/** Shell commands that read what a process can learn about the server through /proc and its environment. */
const SECRET_PROBES = [
  "cat /proc/1/environ",
  "cat /proc/$PPID/environ /proc/$PPID/cmdline",
  "ls -l /proc/$PPID/fd",
  "env",
  "cat /proc/[0-9]*/environ",
];

type TaskKind = "python" | "shell";

afterAll(() => {
  delete process.env[SECRET_NAME];
});

function createProbeName(): string {
  return `seatbelt-probe-${randomBytes(6).toString("hex")}`;
}

/** Runs a task that prints /proc/self/status and returns its fields, such as CapEff. */
async function readProcStatus(session: SeatbeltSession, kind: TaskKind): Promise<Record<string, string>> {
  const outcome = kind === "python" ? await session.runPython('print(open("/proc/self/status").read(), end="")') : await session.runShell("cat /proc/self/status");
  expect(outcome.status).toBe(ExecutionStatus.OK);

  const fields: Record<string, string> = {};
  for (const line of outcome.stdout.split("\n").filter((line) => line.includes(":"))) {
    const separator = line.indexOf(":");
    fields[line.slice(0, separator)] = line.slice(separator + 1).trim();
  }
  return fields;
}

/** Parses `env` output, whose values must not contain newlines. */
function parseEnvOutput(output: string): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const line of output.split("\n").filter((line) => line !== "")) {
    const separator = line.indexOf("=");
    environment[line.slice(0, separator)] = line.slice(separator + 1);
  }
  return environment;
}

async function withGreetingSession<T>(client: SeatbeltClient, run: (session: SeatbeltSession) => Promise<T>): Promise<T> {
  const session = await client.createSession({ env: SESSION_ENV });
  try {
    return await run(session);
  } finally {
    await session.close();
  }
}

describe("privileges", () => {
  test.for<TaskKind>(["python", "shell"])("%s code has no effective capabilities", async (kind, { session }) => {
    const status = await readProcStatus(session, kind);

    expect(status.CapEff).toBe("0000000000000000");
  });

  test.for<TaskKind>(["python", "shell"])("%s code has no_new_privs set", async (kind, { session }) => {
    const status = await readProcStatus(session, kind);

    expect(status.NoNewPrivs).toBe("1");
  });

  test("code runs as non-root user", async ({ session }) => {
    const python = await session.runPython("import json, os\nprint(json.dumps([os.getuid(), os.geteuid()]))");
    const shell = await session.runShell("id -u");

    const [uid, effectiveUid] = JSON.parse(python.stdout) as [number, number];
    expect(uid).not.toBe(0);
    expect(effectiveUid).not.toBe(0);
    expect(shell.stdout.trim()).not.toBe("0");
  });
});

describe("filesystem and network", () => {
  test("only loopback interface exists", async ({ session }) => {
    const outcome = await session.runPython("import json, socket\nprint(json.dumps([name for _, name in socket.if_nameindex()]))");

    expect(outcome.status).toBe(ExecutionStatus.OK);
    expect(JSON.parse(outcome.stdout)).toEqual(["lo"]);
  });

  test("home directories are missing or empty", async ({ session }) => {
    const outcome = await session.runPython(
      [
        "import json, os",
        "def list_entries(path):",
        '    return os.listdir(path) if os.path.exists(path) else "missing"',
        'print(json.dumps({path: list_entries(path) for path in ["/root", "/home"]}))',
      ].join("\n"),
    );

    expect(outcome.status).toBe(ExecutionStatus.OK);
    const listings = JSON.parse(outcome.stdout) as Record<string, string | string[]>;
    expect(["missing", []]).toContainEqual(listings["/root"]);
    expect(["missing", []]).toContainEqual(listings["/home"]);
  });

  test.for(["/", "/usr", "/etc"])("%s is not writable", async (directory, { session }) => {
    const path = join(directory, createProbeName());

    try {
      const outcome = await session.runPython(
        [
          "import errno",
          "try:",
          `    open(${JSON.stringify(path)}, "x").close()`,
          '    print("created")',
          "except OSError as error:",
          "    print(errno.errorcode[error.errno])",
        ].join("\n"),
      );

      expect(["EROFS", "EACCES", "EPERM"]).toContain(outcome.stdout.trim());
    } finally {
      // /usr and /etc are the host's own directories, bound read-only; a
      // write that got through would have landed on the host.
      rmSync(path, { force: true });
    }
  });

  test("tmp is private per session", async ({ session, client }) => {
    const path = `/tmp/${createProbeName()}`;
    const other = await client.createSession();

    try {
      const write = await session.runShell(`echo mine > ${path} && cat ${path}`);
      const look = await other.runShell(`if [ -e ${path} ]; then echo visible; else echo absent; fi`);

      expect(write.stdout).toBe("mine\n");
      expect(look.stdout).toBe("absent\n");
      expect(existsSync(path)).toBe(false);
    } finally {
      await other.close();
    }
  });
});

describe("server secrets", () => {
  test.for(SECRET_PROBES)("`%s` shows no server secret", async (command, { session }) => {
    const outcome = await session.runShell(command);

    const output = outcome.stdout + outcome.stderr;
    expect(output).not.toContain(SECRET_VALUE);
    expect(output).not.toContain(SECRET_NAME);
  });

  test("python environment is exactly the allowlist", async ({ client }) => {
    const { workspaceDir, environment } = await withGreetingSession(client, async (session) => {
      const outcome = await session.runPython("import json, os\nprint(json.dumps(dict(os.environ)))");
      return { workspaceDir: session.info.workspaceDir, environment: JSON.parse(outcome.stdout) as Record<string, string> };
    });

    expect(environment).toEqual({ ...buildBaseEnvironment(workspaceDir), ...SESSION_ENV });
  });

  test("shell environment is exactly the allowlist", async ({ client }) => {
    const { workspaceDir, environment } = await withGreetingSession(client, async (session) => {
      const outcome = await session.runShell("env");
      return { workspaceDir: session.info.workspaceDir, environment: parseEnvOutput(outcome.stdout) };
    });

    // /bin/sh exports PWD itself; the server does not set it.
    expect(environment).toEqual({ ...buildBaseEnvironment(workspaceDir), ...SESSION_ENV, PWD: workspaceDir });
  });
});
