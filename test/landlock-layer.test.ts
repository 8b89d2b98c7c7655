import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { type Server, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll } from "vitest";
import { ExecutionStatus, type SeatbeltClient, createSeatbeltClient } from "../client/src/index.js";
import type { SeatbeltServer } from "../server/src/server.js";
import type { PreparedSandbox, SandboxRequest } from "../server/src/sandbox/bubblewrap/backend.js";
import type { MountStep } from "../server/src/sandbox/bubblewrap/mount-plan.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";

const LANDLOCK_SCRIPT = fileURLToPath(new URL("../server/runtime/seatbelt_runtime/landlock.py", import.meta.url));

/** The kernel's Landlock ABI version from the runtime's own probe, and why it is 0 when it is. */
const KERNEL = JSON.parse(execFileSync("/usr/bin/python3", ["-I", "-S", LANDLOCK_SCRIPT], { encoding: "utf8" })) as { abi: number; reason: string };
const HAS_LANDLOCK = KERNEL.abi > 0;
/** ABI 6 added scoping of signals and abstract Unix sockets. */
const HAS_SCOPING = KERNEL.abi >= 6;
const PREDEFINED_PROFILES = ["default", "network", "read-only", "strict"] as const;
/** The strict profile allows executing only the interpreter, so the server runs no shell commands in it. */
const SHELL_PROFILES = PREDEFINED_PROFILES.filter((name) => name !== "strict");

function withProfile(name: string) {
  return { profile: { source: { case: "name" as const, value: name } } };
}

describe("GetServerInfo landlock layer", () => {
  test.skipIf(!HAS_LANDLOCK)("reports landlock active with the kernel's ABI", async ({ client }) => {
    const info = await client.getServerInfo();

    const landlock = info.securityLayers.find((layer) => layer.name === "landlock");
    expect(landlock?.active).toBe(true);
    expect(landlock?.abiVersion).toBe(KERNEL.abi);
    expect(landlock?.abiVersion).toBeGreaterThan(0);
    expect(landlock?.detail).toContain("second file-system layer");
  });

  test.skipIf(HAS_LANDLOCK)("reports landlock inactive with the kernel's reason", async ({ client }) => {
    const info = await client.getServerInfo();

    const landlock = info.securityLayers.find((layer) => layer.name === "landlock");
    expect(landlock).toMatchObject({ active: false, abiVersion: 0 });
    expect(landlock?.detail).toContain(KERNEL.reason);
  });
});

describe("ordinary work under Landlock", () => {
  const HAS_PIP = execFileSync("/usr/bin/python3", ["-c", "import importlib.util; print(importlib.util.find_spec('pip') is not None)"], { encoding: "utf8" }).trim() === "True";

  test.for(PREDEFINED_PROFILES)("%s profile runs Python with numpy", async (name, { client }) => {
    const session = await client.createSession(withProfile(name));
    try {
      const outcome = await session.runPython("import json, sqlite3, ssl, numpy\nopen('/tmp/cell.txt', 'w').write('kept')\nprint(numpy.arange(4).sum(), open('/tmp/cell.txt').read(), open('/etc/passwd').readline().split(':')[0])");

      expect(outcome.error).toBeUndefined();
      expect(outcome.stdout).toBe("6 kept root\n");
    } finally {
      await session.close();
    }
  });

  test.for(SHELL_PROFILES)("%s profile runs shell pipelines", async (name, { client }) => {
    const session = await client.createSession(withProfile(name));
    try {
      const pipeline = await session.runShell("printf 'b\\na\\n' | sort | tr a-z A-Z | head -1; ls /usr/lib | grep -c python3; echo t > /tmp/t && cat /tmp/t");
      const pip = await session.runShell("python3 -m pip --version");

      expect(pipeline.stdout).toMatch(/^A\n[1-9]\d*\nt\n$/);
      expect(pipeline.exitCode).toBe(0);
      expect(pip.exitCode).toBe(HAS_PIP ? 0 : 1);
    } finally {
      await session.close();
    }
  });

  test.for(PREDEFINED_PROFILES)("%s profile writes the workspace as the profile says", async (name, { client }) => {
    const session = await client.createSession(withProfile(name));
    try {
      const outcome = await session.runPython("try:\n    open('made.txt', 'w').write('kept')\n    print(open('made.txt').read())\nexcept OSError as error:\n    print(error.strerror)");

      expect(outcome.stdout).toBe(name === "read-only" ? "Read-only file system\n" : "kept\n");
    } finally {
      await session.close();
    }
  });
});

describe("Landlock scoping", () => {
  const socketName = `seatbelt-landlock-${randomBytes(6).toString("hex")}`;
  let listener: Server;
  let connections = 0;

  beforeAll(async () => {
    listener = createServer((socket) => {
      connections += 1;
      socket.end("pong\n");
    });
    // A leading NUL byte puts the socket in the abstract namespace of the
    // host's network namespace, which a session with network shares.
    await new Promise<void>((resolve) => listener.listen(`\0${socketName}`, resolve));
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => listener.close(() => resolve()));
  });

  test.skipIf(!HAS_SCOPING)("network session cannot connect to a host abstract socket", async ({ client }) => {
    const session = await client.createSession(withProfile("network"));
    try {
      const code = [
        "import socket",
        "client = socket.socket(socket.AF_UNIX)",
        "try:",
        // Node binds the name padded with NUL bytes to the whole sun_path.
        `    client.connect(b"\\0${socketName}".ljust(108, b"\\0"))`,
        '    print("connected", client.recv(10))',
        "except OSError as error:",
        '    print("failed", error.errno)',
      ].join("\n");

      const outcome = await session.runPython(code);

      expect(outcome.stdout).toBe("failed 1\n");
      expect(connections).toBe(0);
    } finally {
      await session.close();
    }
  });

  test.skipIf(!HAS_SCOPING)("session connects to its own abstract socket", async ({ session }) => {
    const code = [
      "import socket",
      "server = socket.socket(socket.AF_UNIX)",
      'server.bind("\\0seatbelt-own-socket")',
      "server.listen()",
      "client = socket.socket(socket.AF_UNIX)",
      'client.connect("\\0seatbelt-own-socket")',
      "peer, _ = server.accept()",
      'client.sendall(b"ping")',
      "print(peer.recv(4))",
    ].join("\n");

    const outcome = await session.runPython(code);

    expect(outcome.stdout).toBe("b'ping'\n");
  });

  test.skipIf(!HAS_SCOPING)("session cannot signal the sandbox's init process", async ({ session }) => {
    // The sandbox's pid 1 is bubblewrap's init, which runs outside the
    // Landlock domain; without scoping, signal 0 would reach it.
    const outcome = await session.runPython("import os\ntry:\n    os.kill(1, 0)\n    print('signalled')\nexcept PermissionError:\n    print('denied')");

    expect(outcome.stdout).toBe("denied\n");
  });
});

/**
 * A server whose mount plans carry a deliberate mistake, which Landlock must
 * catch. Only the mounts are changed, after the server compiled them. The
 * Landlock rules stay those derived from the profile, unless a test widens
 * them to show that the mistake is real.
 */
describe("Landlock against mount plan mistakes", () => {
  const EXTRA_TARGET = "/seatbelt-extra";
  let server: SeatbeltServer;
  let client: SeatbeltClient;
  let extraDir: string;
  let grantWorkspaceWrite = false;

  beforeAll(async () => {
    server = await startTestServer({ warmPoolSize: 0 });
    client = createSeatbeltClient({ baseUrl: server.url });
    extraDir = mkdtempSync(join(tmpdir(), "seatbelt-extra-"));
    writeFileSync(join(extraDir, "secret.txt"), "host secret\n", { mode: 0o644 });

    const backend = server.backend;
    const start = backend.start.bind(backend);
    backend.start = (request: SandboxRequest) => start({ ...request, prepared: addMistakes(request.prepared, request.workspaceDir) });
  });

  afterAll(async () => {
    await server.close();
    rmSync(extraDir, { recursive: true, force: true });
  });

  /** Binds the workspace read-write whatever the profile allows, and a host directory that no profile names. */
  function addMistakes(prepared: PreparedSandbox, workspaceDir: string): PreparedSandbox {
    const writableWorkspace = prepared.mounts.map((step): MountStep => (step.kind === "ro-bind" && step.target === workspaceDir ? { ...step, kind: "bind" } : step));
    const mounts: MountStep[] = [{ kind: "bind", source: extraDir, target: EXTRA_TARGET }, ...writableWorkspace];
    const landlockRules = grantWorkspaceWrite ? [...prepared.landlockRules, { path: workspaceDir, access: "write" as const }] : prepared.landlockRules;
    return { ...prepared, mounts, landlockRules };
  }

  test.skipIf(!HAS_LANDLOCK)("workspace bound writable stays read-only under read-only profile", async () => {
    const session = await client.createSession(withProfile("read-only"));
    try {
      const mount = await session.runShell('grep " $PWD " /proc/self/mountinfo | cut -d " " -f 6');
      const shell = await session.runShell("echo x > made.txt");
      const python = await session.runPython("try:\n    open('made.txt', 'w')\nexcept PermissionError as error:\n    print(error.errno)");

      expect(mount.stdout).toMatch(/^rw/);
      expect(shell.exitCode).not.toBe(0);
      expect(shell.stderr).toContain("Permission denied");
      expect(python.stdout).toBe("13\n");
    } finally {
      await session.close();
    }
  });

  test.skipIf(!HAS_LANDLOCK)("same mistake lets writes through when the rules allow them", async () => {
    grantWorkspaceWrite = true;
    const session = await client.createSession(withProfile("read-only"));
    try {
      const outcome = await session.runShell("echo x > made.txt && cat made.txt");

      expect(outcome.stdout).toBe("x\n");
      expect(outcome.status).toBe(ExecutionStatus.OK);
    } finally {
      grantWorkspaceWrite = false;
      await session.close();
    }
  });

  test.skipIf(!HAS_LANDLOCK)("host directory mounted against the profile can be neither read nor written", async () => {
    const session = await client.createSession();
    try {
      const read = await session.runShell(`cat ${EXTRA_TARGET}/secret.txt`);
      const write = await session.runShell(`echo x > ${EXTRA_TARGET}/made.txt`);
      const list = await session.runShell(`ls ${EXTRA_TARGET}`);

      expect(read.stderr).toContain("Permission denied");
      expect(read.stdout).toBe("");
      expect(write.stderr).toContain("Permission denied");
      expect(list.stderr).toContain("Permission denied");
      expect(existsSync(join(extraDir, "made.txt"))).toBe(false);
    } finally {
      await session.close();
    }
  });

  test.skipIf(!HAS_LANDLOCK)("sandbox fails to start when the kernel offers less than reported", async () => {
    const reported = server.backend.landlock;
    Object.defineProperty(server.backend, "landlock", { value: { abi: 99, reason: "" } });
    try {
      const failure = await client.createSession().catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(Error);
      expect((failure as { code?: unknown }).code).toBe(Code.Unavailable);
      expect((failure as Error).message).toContain(`cannot apply Landlock: the server expects Landlock ABI 99, but the kernel offers ${KERNEL.abi}`);
    } finally {
      Object.defineProperty(server.backend, "landlock", { value: reported });
    }
  });
});
