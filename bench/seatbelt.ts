import { fileURLToPath } from "node:url";
import { type SeatbeltClient, createSeatbeltClient } from "../client/src/index.js";
import type { ServerConfigInput } from "../server/src/config.js";
import { LineProcess } from "./line-process.js";

const SERVER_PROCESS = fileURLToPath(new URL("./server-process.ts", import.meta.url));

/** A Seatbelt server in its own process, and a gRPC client of it. */
export interface SeatbeltUnderTest {
  readonly url: string;
  readonly pid: number;
  readonly client: SeatbeltClient;
  /** Waits until the server's warm pool is full. */
  waitForPool(): Promise<void>;
  /** Returns the host pid of each session's bubblewrap process. */
  listSandboxPids(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * Starts a server on a free loopback port with the given settings.
 * SEATBELT_BENCH_SERVER_NODE_ARGS adds Node options to the server process,
 * such as "--cpu-prof --cpu-prof-dir=profiles" to profile it.
 */
export async function startSeatbelt(config: ServerConfigInput): Promise<SeatbeltUnderTest> {
  const nodeArgs = (process.env.SEATBELT_BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== "");
  const { process: server, greeting } = await LineProcess.start(process.execPath, [...nodeArgs, "--import", "tsx", SERVER_PROCESS, JSON.stringify(config)]);
  const url = greeting.url as string;
  return {
    url,
    pid: greeting.pid as number,
    client: createSeatbeltClient({ baseUrl: url }),
    waitForPool: async () => {
      await server.request({ op: "waitPool" });
    },
    listSandboxPids: async () => (await server.request<{ pids: number[] }>({ op: "sandboxes" })).pids,
    stop: () => server.stop(),
  };
}
