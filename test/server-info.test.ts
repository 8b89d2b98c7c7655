import { readFile } from "node:fs/promises";
import { describe, expect, test } from "./support/fixtures.js";

describe("GetServerInfo", () => {
  test("reports version, platform and backends", async ({ client }) => {
    const manifest = JSON.parse(await readFile(new URL("../server/package.json", import.meta.url), "utf8")) as { version: string };

    const info = await client.getServerInfo();
    const bubblewrap = info.backends.find((backend) => backend.name === "bubblewrap");
    const sandboxExec = info.backends.find((backend) => backend.name === "sandbox-exec");

    expect(info.version).toBe(manifest.version);
    expect(info.platform?.os).toBe(process.platform);
    expect(info.platform?.arch).toBe(process.arch);
    expect(bubblewrap).toMatchObject({ available: true, selected: true, reason: "" });
    expect(bubblewrap?.version).toMatch(/^\d+\.\d+/);
    expect(sandboxExec?.available).toBe(false);
    expect(sandboxExec?.reason).toContain("macOS");
    expect(info.defaultPython).toBe("/usr/bin/python3");
  });

  test("lists the predefined profiles with their purpose", async ({ client }) => {
    const info = await client.getServerInfo();

    expect(info.profiles.map((profile) => profile.name)).toEqual(["default", "network", "read-only", "strict"]);
    expect(info.profiles[0]?.description).toMatch(/^default: the profile of every session that names none/);
    expect(info.profiles[1]?.description).toMatch(/^network: /);
  });

  test("reports the execution policy", async ({ client, server }) => {
    const info = await client.getServerInfo();

    expect(info.executionPolicy).toMatchObject({
      pythonTimeoutMs: BigInt(server.config.pythonTimeoutMs),
      shellTimeoutMs: BigInt(server.config.shellTimeoutMs),
      maxTimeoutMs: BigInt(server.config.maxTimeoutMs),
      defaultOutputBytes: BigInt(server.config.defaultOutputBytes),
      maxOutputBytes: BigInt(server.config.maxOutputBytes),
      maxSessions: server.config.maxSessions,
      maxQueuedExecutions: server.config.maxQueuedExecutions,
    });
  });
});

describe("GetServerInfo security layers", () => {
  test("reports the namespace layer as active when bubblewrap works", async ({ client }) => {
    const info = await client.getServerInfo();

    const namespaces = info.securityLayers.find((layer) => layer.name === "namespaces");
    expect(namespaces).toMatchObject({ active: true, abiVersion: 0 });
    expect(namespaces?.detail).toContain("no nested user namespaces");
  });

  test.skipIf(process.arch !== "x64" && process.arch !== "arm64")("reports the seccomp layer as active with what it refuses", async ({ client }) => {
    const info = await client.getServerInfo();

    const seccomp = info.securityLayers.find((layer) => layer.name === "seccomp");
    expect(seccomp).toMatchObject({ active: true, abiVersion: 0 });
    expect(seccomp?.detail).toContain("fails with EPERM ptrace");
    expect(seccomp?.detail).toContain("clone with namespace flags");
    expect(seccomp?.detail).toContain("fails clone3 with ENOSYS");
  });
});
