/**
 * A Seatbelt server in a process of its own, so that the benchmark's client
 * does not share its event loop. It takes its configuration as JSON in the
 * first argument, prints its URL as one JSON line, and then answers one
 * JSON request per stdin line:
 * - {"op":"waitPool"}: waits until the warm pool is full;
 * - {"op":"sandboxes"}: returns the host pid of every session's sandbox.
 * It stops when stdin closes.
 */
import { createInterface } from "node:readline";
import { startServer } from "../server/dist/server.js";

const server = await startServer({ port: 0, logLevel: "warn", ...(JSON.parse(process.argv[2] ?? "{}") as object) });
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as { op: string };
  if (request.op === "waitPool") {
    await server.warmPool?.waitUntilFull();
    process.stdout.write(`${JSON.stringify({ ready: server.warmPool?.readyCount ?? 0 })}\n`);
  } else if (request.op === "sandboxes") {
    process.stdout.write(`${JSON.stringify({ pids: server.registry.list().map((session) => session.sandboxPid) })}\n`);
  } else {
    process.stdout.write(`${JSON.stringify({ error: `unknown op ${request.op}` })}\n`);
  }
}
await server.close();
