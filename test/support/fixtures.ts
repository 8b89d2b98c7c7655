import type { Logger } from "pino";
import { test as base } from "vitest";
import { type SeatbeltClient, type SeatbeltSession, createSeatbeltClient } from "../../client/src/index.js";
import { type SeatbeltServer, startServer } from "../../server/src/server.js";
import type { ServerConfigInput } from "../../server/src/config.js";

/** Starts a real server on a free loopback port, with real bubblewrap sandboxes; `logger` replaces the silent default. */
export async function startTestServer(config: ServerConfigInput = {}, logger?: Logger): Promise<SeatbeltServer> {
  const logLevel = (process.env.SEATBELT_TEST_LOG_LEVEL ?? "silent") as ServerConfigInput["logLevel"];
  return startServer({ port: 0, logLevel, ...config }, logger);
}

interface Fixtures {
  /** One server for the whole test file. */
  server: SeatbeltServer;
  /** A TypeScript client of that server, over gRPC. */
  client: SeatbeltClient;
  /** A fresh session for each test, deleted afterwards. */
  session: SeatbeltSession;
}

export const test = base.extend<Fixtures>({
  server: [
    async ({}, use) => {
      const server = await startTestServer();
      await use(server);
      await server.close();
    },
    { scope: "file" },
  ],
  client: async ({ server }, use) => {
    await use(createSeatbeltClient({ baseUrl: server.url }));
  },
  session: async ({ client }, use) => {
    const session = await client.createSession();
    await use(session);
    await session.close().catch(() => {});
  },
});

export { expect, describe } from "vitest";
