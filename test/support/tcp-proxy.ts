import net from "node:net";
import type { AddressInfo } from "node:net";

/** A loopback TCP proxy whose connections a test can break. */
export interface TcpProxy {
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Destroys every open connection, on both sides. */
  breakConnections(): void;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1, port 0, that forwards each connection to `targetPort` on 127.0.0.1. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const breakConnections = () => {
    for (const socket of sockets) {
      socket.destroy();
    }
  };
  return {
    url: `http://127.0.0.1:${port}`,
    accepted: () => accepted,
    breakConnections,
    close: () =>
      new Promise<void>((resolve) => {
        breakConnections();
        server.close(() => resolve());
      }),
  };
}
