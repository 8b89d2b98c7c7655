import http2 from "node:http2";
import { type AddressInfo, connect } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { type DualProtocolListener, createDualProtocolListener } from "./listener.js";

const SHORT_MS = 200;

let listener: DualProtocolListener | undefined;

afterEach(async () => {
  await listener?.close(0, async () => {});
  listener = undefined;
});

/** Starts a listener whose handler answers "done" after `delayMs`, with short timeouts. */
async function listen(delayMs = 0): Promise<number> {
  listener = createDualProtocolListener(
    (_request, response) => {
      setTimeout(() => response.end("done"), delayMs);
    },
    undefined,
    undefined,
    { firstBytesMs: SHORT_MS, idleSessionMs: SHORT_MS },
  );
  const { server } = listener;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("connection timeouts", () => {
  test("silent connection closed", async () => {
    const port = await listen();
    const socket = connect(port, "127.0.0.1");
    socket.on("error", () => {});

    const received = await new Promise<string>((resolve) => {
      let data = "";
      socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
      socket.on("close", () => resolve(data));
    });

    expect(received).toBe("");
  });

  test("HTTP/2 connection without streams closed", async () => {
    const port = await listen();
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});

    await new Promise<void>((resolve) => session.on("close", resolve));

    expect(session.closed).toBe(true);
  });

  test("HTTP/2 stream outlasting the idle time completes", async () => {
    const port = await listen(SHORT_MS * 4);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => {});

    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":path": "/" });
      let data = "";
      stream.on("data", (chunk: Buffer) => (data += chunk.toString()));
      stream.on("end", () => resolve(data));
      stream.on("error", reject);
      stream.end();
    });
    session.close();

    expect(body).toBe("done");
  });
});
