import { release } from "node:os";
import { Code, ConnectError } from "@connectrpc/connect";
import { Enforcement, ExecutionStatus, Resource, createSeatbeltClient } from "../client/src/index.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startTestServer } from "./support/fixtures.js";

const MiB = 1024n * 1024n;
const [kernelMajor = 0, kernelMinor = 0] = release().split(".").map(Number);
/** Linux 5.14 moved RLIMIT_NPROC to per-user-namespace counts, which makes it a per-sandbox limit. */
const nprocPerNamespace = kernelMajor > 5 || (kernelMajor === 5 && kernelMinor >= 14);

describe("limits without cgroups", () => {
  let server: SeatbeltServer;
  beforeAll(async () => {
    server = await startTestServer({ cgroups: "off" });
  });
  afterAll(async () => {
    await server.close();
  });
  const client = () => createSeatbeltClient({ baseUrl: server.url });

  test("GetServerInfo reports rlimits and no CPU share", async () => {
    const info = await client().getServerInfo();
    const byResource = new Map(info.limits.map((limit) => [limit.resource, limit]));

    expect(byResource.get(Resource.MEMORY)?.enforcement).toBe(Enforcement.RLIMIT);
    expect(byResource.get(Resource.MEMORY)?.detail).toContain("RLIMIT_AS");
    expect(byResource.get(Resource.PROCESSES)?.enforcement).toBe(Enforcement.RLIMIT);
    expect(byResource.get(Resource.CPU)).toMatchObject({ enforcement: Enforcement.NOT_ENFORCED, defaultValue: 0n });
    expect(byResource.get(Resource.CPU)?.detail).toContain("cgroups are turned off");
  });

  test("CPU share rejected as Unimplemented", async () => {
    let error: ConnectError | undefined;
    try {
      await client().createSession({ limits: { cpuMillicores: 500 } });
    } catch (caught) {
      error = ConnectError.from(caught);
    }

    expect(error?.code).toBe(Code.Unimplemented);
    expect(error?.rawMessage).toContain("limits.cpu_millicores cannot be enforced on this host");
  });

  test("memory bomb raises MemoryError as out of memory", async () => {
    const session = await client().createSession({ limits: { memoryBytes: 512n * MiB } });

    const bomb = await session.runPython("data = b'x' * (1 << 30)");
    const after = await session.runPython("1 + 1");

    expect(bomb.status).toBe(ExecutionStatus.LIMIT_EXCEEDED);
    expect(bomb.result.limitExceeded).toBe(Resource.MEMORY);
    expect(bomb.error?.name).toBe("MemoryError");
    expect(after.value).toBe("2");
    await session.close();
  });

  test.skipIf(!nprocPerNamespace)("process limit holds per sandbox", async () => {
    const full = await client().createSession({ limits: { maxProcesses: 16 } });
    const other = await client().createSession({ limits: { maxProcesses: 16 } });

    const flood = await full.runShell("for i in $(seq 30); do sleep 30 & done");
    const spare = await other.runShell("for i in $(seq 8); do sleep 0.1 & done; wait; echo done");

    expect(flood.status).toBe(ExecutionStatus.ERROR);
    expect(flood.stderr).toContain("Cannot fork");
    expect(spare.stdout).toBe("done\n");
    await full.close();
    await other.close();
  });
});
