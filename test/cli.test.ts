import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, test } from "./support/fixtures.js";

const CLI = fileURLToPath(new URL("../client/dist/cli/main.js", import.meta.url));

/** Runs the built CLI against the test server, without a terminal. */
function seatbelt(serverUrl: string, args: readonly string[], input?: string) {
  return execa("node", [CLI, ...args], { env: { SEATBELT_URL: serverUrl }, input, reject: false });
}

describe("seatbelt CLI", () => {
  test("python prints output and the final value", async ({ server }) => {
    const run = await seatbelt(server.url, ["python", "import numpy as np\ndata = [1, 2, 3, 4, 5]\nprint(np.mean(data))\nlen(data)"]);

    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("3.0\n5");
    expect(run.exitCode).toBe(0);
    expect(server.registry.list()).toEqual([]);
  });

  test("shell exit code is the CLI's", async ({ server }) => {
    const run = await seatbelt(server.url, ["shell", "echo", "out;", "echo", "err", ">&2;", "exit", "3"]);

    expect(run.stdout).toBe("out");
    expect(run.stderr).toBe("err");
    expect(run.exitCode).toBe(3);
  });

  test("Python error prints its traceback and exits 1", async ({ server }) => {
    const run = await seatbelt(server.url, ["python", "1 / 0"]);

    expect(run.stderr).toContain("ZeroDivisionError: division by zero");
    expect(run.stderr).not.toContain("\u001b[");
    expect(run.exitCode).toBe(1);
  });

  test("python reads code from stdin", async ({ server }) => {
    const run = await seatbelt(server.url, ["python"], "print('from stdin')\n");

    expect(run.stdout).toBe("from stdin");
    expect(run.exitCode).toBe(0);
  });

  test("kept session is listed, reused and deleted", async ({ server }) => {
    const created = await seatbelt(server.url, ["--keep", "python", "x = 21"]);
    const sessionId = /kept session (\S+)/.exec(created.stderr)?.[1] ?? "";

    const listed = await seatbelt(server.url, ["sessions"]);
    const reused = await seatbelt(server.url, ["python", "--session", sessionId, "x * 2"]);
    const deleted = await seatbelt(server.url, ["delete", sessionId]);

    expect(sessionId).toMatch(/^ses_/);
    expect(listed.stdout).toMatch(new RegExp(`^${sessionId}\tidle\t1 executions\t`));
    expect(reused.stdout).toBe("42");
    expect(deleted.stdout).toBe(`deleted ${sessionId}`);
    expect(server.registry.list()).toEqual([]);
  });

  test("repl runs statements and blocks from stdin", async ({ server }) => {
    const run = await seatbelt(server.url, ["repl"], "x = 2\nx * 21\nfor i in range(2):\n    print(i)\n\nprint('end')\n");

    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("42\n0\n1\nend");
    expect(run.exitCode).toBe(0);
  });

  test("missing session fails with a hint naming seatbelt sessions", async ({ server }) => {
    const run = await seatbelt(server.url, ["python", "--session", "ses_missing", "1"]);

    expect(run.stderr).toContain('NotFoundError: session "ses_missing" not found');
    expect(run.stderr).toContain("list the live sessions with seatbelt sessions");
    expect(run.exitCode).toBe(1);
  });

  test("unknown command is a usage error", async ({ server }) => {
    const run = await seatbelt(server.url, ["bogus"]);

    expect(run.stderr).toBe('seatbelt: unknown command "bogus"; run seatbelt --help for the list');
    expect(run.exitCode).toBe(2);
  });

  test("stderr is red on a terminal", async ({ server }) => {
    // script(1) runs the CLI on a pseudo-terminal.
    const run = await execa("script", ["-qec", `node ${CLI} shell 'echo err >&2'`, "/dev/null"], { env: { SEATBELT_URL: server.url }, reject: false });

    // The terminal turns each newline into CR LF.
    expect(run.stdout).toContain("\u001b[31merr\r\n\u001b[0m");
  });
});
