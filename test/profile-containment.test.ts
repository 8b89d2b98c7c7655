import { randomBytes } from "node:crypto";
import { mkdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, createServer } from "node:net";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll } from "vitest";
import { ExecutionStatus } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

const IS_ROOT = process.getuid?.() === 0;
const MARKER = `seatbelt-x1-${randomBytes(6).toString("hex")}`;
const KEY_DIR = join("/root", MARKER);
const KEY_TEXT = `PRIVATE KEY ${MARKER}`;

let listener: Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  listener = createServer((socket: Socket) => {
    socket.on("data", (data) => received.push(data.toString()));
    socket.end("pong\n");
  });
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  port = (listener.address() as AddressInfo).port;
  if (IS_ROOT) {
    mkdirSync(KEY_DIR, { mode: 0o755 });
    writeFileSync(join(KEY_DIR, "id_ed25519"), KEY_TEXT, { mode: 0o644 });
  }
});

afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  rmSync(KEY_DIR, { recursive: true, force: true });
});

/** Python that connects to the host's listener, sends a line and prints what comes back. */
function connectCode(token: string): string {
  return [
    "import socket",
    "try:",
    `    with socket.create_connection(("127.0.0.1", ${port}), timeout=5) as connection:`,
    `        connection.sendall(b"${token}\\n")`,
    '        print("connected", connection.recv(100).decode().strip())',
    "except OSError as error:",
    '    print("failed", type(error).__name__)',
  ].join("\n");
}

describe("network", () => {
  test("default profile cannot reach a host listener", async ({ session }) => {
    const token = `default-${MARKER}`;

    const outcome = await session.runPython(connectCode(token));

    expect(outcome.stdout).toMatch(/^failed /);
    expect(received.join("")).not.toContain(token);
    expect(session.info.network).toBe(false);
  });

  test("network profile reaches a host listener", async ({ client }) => {
    const session = await client.createSession({ profile: { source: { case: "name", value: "network" } } });
    const token = `network-${MARKER}`;
    try {
      const outcome = await session.runPython(connectCode(token));

      expect(outcome.stdout).toBe("connected pong\n");
      expect(received.join("")).toContain(token);
      expect(session.info.network).toBe(true);
    } finally {
      await session.close();
    }
  });
});

describe("server API from a sandbox", () => {
  test.skipIf(!IS_ROOT)("network profile cannot call the server it runs in", async ({ client, server }) => {
    const session = await client.createSession({ profile: { source: { case: "name", value: "network" } } });
    const request = "POST /seatbelt.v1.SessionService/ListSessions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}";
    try {
      const outcome = await session.runPython(
        [
          "import socket",
          "try:",
          `    with socket.create_connection(("127.0.0.1", ${server.port}), timeout=5) as connection:`,
          `        connection.sendall(b"${request}")`,
          '        print("reply", repr(connection.recv(100)))',
          "except OSError as error:",
          '    print("failed", type(error).__name__)',
        ].join("\n"),
      );

      expect(outcome.stdout).toMatch(/^(reply b''|failed ConnectionResetError)\n$/);
      expect((await client.listSessions()).length).toBeGreaterThan(0);
    } finally {
      await session.close();
    }
  });

  // The client binds the server's own port on other loopback addresses, so
  // that the server's row of the connection matches by ports alone; several
  // addresses, because the order of the table's rows varies.
  test.skipIf(!IS_ROOT)("network profile cannot call the server from a source port equal to the server's", async ({ client, server }) => {
    const session = await client.createSession({ profile: { source: { case: "name", value: "network" } } });
    const request = "POST /seatbelt.v1.SessionService/ListSessions HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 2\\r\\n\\r\\n{}";
    try {
      const outcome = await session.runPython(
        [
          "import socket",
          "replies = set()",
          "for last in range(2, 18):",
          "    try:",
          "        with socket.socket() as connection:",
          "            connection.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
          `            connection.bind(("127.0.0.%d" % last, ${server.port}))`,
          "            connection.settimeout(5)",
          `            connection.connect(("127.0.0.1", ${server.port}))`,
          `            connection.sendall(b"${request}")`,
          "            replies.add(repr(connection.recv(100)[:8]))",
          "    except OSError as error:",
          "        replies.add(type(error).__name__)",
          "print(sorted(replies))",
        ].join("\n"),
      );

      expect(outcome.stdout).not.toContain("HTTP");
      expect(outcome.stdout).toMatch(/^\[(("b''"|'ConnectionResetError')(, )?)+\]\n$/);
    } finally {
      await session.close();
    }
  });

  test.skipIf(!IS_ROOT)("network profile cannot have the server run a request that it sends before closing at once", async ({ client, server }) => {
    const session = await client.createSession({ profile: { source: { case: "name", value: "network" } } });
    const body = '{\\"profile\\": {\\"name\\": \\"read-only\\"}}';
    const request = `POST /seatbelt.v1.SessionService/CreateSession HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nContent-Length: 34\\r\\n\\r\\n${body}`;
    try {
      const before = (await client.listSessions()).length;
      const outcome = await session.runPython(
        [
          "import socket, time",
          "sent = 0",
          "for _ in range(20):",
          "    try:",
          `        with socket.create_connection(("127.0.0.1", ${server.port}), timeout=5) as connection:`,
          `            connection.sendall(b"${request}")`,
          "            sent += 1",
          "    except OSError:",
          "        pass",
          "time.sleep(3)",
          "print('sent', sent)",
        ].join("\n"),
      );

      expect(outcome.stdout).toMatch(/^sent \d+\n$/);
      expect((await client.listSessions()).length).toBe(before);
    } finally {
      await session.close();
    }
  });
});

describe("symbolic links", () => {
  test.skipIf(!IS_ROOT)("link to a hidden key stays unreadable", async ({ session }) => {
    const outcome = await session.runShell(`ln -s ${KEY_DIR} ./link && cat ./link/id_ed25519`);

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).not.toContain(KEY_TEXT);
    expect(outcome.stderr).toContain("No such file or directory");
  });

  test("link to the ssh directory of root stays unreadable", async ({ session }) => {
    const outcome = await session.runShell("ln -s /root/.ssh ./link && cat ./link/id_ed25519");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).toBe("");
  });

  test("relative link climbing to the shadow file stays unreadable", async ({ session }) => {
    const outcome = await session.runShell("mkdir -p a/b && ln -s ../../../../../etc/shadow a/b/up && cat a/b/up");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).toBe("");
    expect(outcome.stderr).toMatch(/No such file or directory|Permission denied/);
  });

  test("link climbing all the way to the shadow file hits its mask", async ({ session }) => {
    const outcome = await session.runShell(`mkdir -p c/d && ln -s ${"../".repeat(30)}etc/shadow c/d/up && readlink -f c/d/up && cat c/d/up`);

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.stdout).toBe("/etc/shadow\n");
    expect(outcome.stderr).toContain("Permission denied");
  });
});

describe("strict profile", () => {
  test("shell commands rejected, Python runs", async ({ client }) => {
    const session = await client.createSession({ profile: { source: { case: "name", value: "strict" } } });
    try {
      const python = await session.runPython("print(6 * 7)");
      const shell = await session.runShell("echo hi").catch((error: unknown) => ConnectError.from(error));

      expect(python.stdout).toBe("42\n");
      expect(shell).toBeInstanceOf(ConnectError);
      expect((shell as ConnectError).code).toBe(Code.FailedPrecondition);
      expect((shell as ConnectError).rawMessage).toContain(`profile denies process-exec of ${realpathSync("/bin/sh")}`);
      expect(session.info.profileNotes.map((note) => note.message)).toContainEqual(expect.stringContaining("process-exec is denied, but not enforced on Linux"));
    } finally {
      await session.close();
    }
  });
});
