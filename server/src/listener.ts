import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** The first bytes of every HTTP/2 connection without TLS (RFC 9113, section 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Decides whether a new connection may be served. A rejected one is destroyed unread. */
export type AdmitConnection = (socket: net.Socket) => Promise<boolean>;

type Handler = (request: http.IncomingMessage | http2.Http2ServerRequest, response: http.ServerResponse | http2.Http2ServerResponse) => void;

/** A listener that serves HTTP/1.1 and HTTP/2 on one port, with TLS or without. */
export interface DualProtocolListener {
  readonly server: net.Server;
  /**
   * Stops accepting connections, awaits `beforeDisconnect`, then asks open
   * connections to finish their requests and destroys those still open after
   * `drainMs`.
   */
  close(drainMs: number, beforeDisconnect: () => Promise<void>): Promise<void>;
}

/**
 * Creates a listener that hands each connection to Node's HTTP/2 server when
 * it starts with the HTTP/2 preface, else to its HTTP/1.1 server. gRPC needs
 * HTTP/2; curl, browsers and many proxies speak HTTP/1.1 to the Connect and
 * gRPC-Web protocols. Node's `allowHTTP1` does this only with TLS, because it
 * relies on ALPN, so with `tls` every connection goes to one secure HTTP/2
 * server with `allowHTTP1`, and ALPN picks the version.
 */
export function createDualProtocolListener(handler: Handler, admit?: AdmitConnection, tls?: http2.SecureServerOptions): DualProtocolListener {
  const http1Server = http.createServer(handler);
  const http2Server = tls === undefined ? http2.createServer(handler) : http2.createSecureServer(tls, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });

  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    if (admit === undefined) {
      route(socket);
      return;
    }
    // No data listener is attached until the check ends, so nothing is read
    // from a connection that is then rejected.
    admit(socket).then(
      (admitted) => (admitted ? route(socket) : socket.destroy()),
      () => socket.destroy(),
    );
  });
  const route = (socket: net.Socket) => {
    if (tls !== undefined) {
      // The TLS server wraps the socket and does the handshake itself.
      http2Server.emit("connection", socket);
      return;
    }
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const length = Math.min(chunk.length, HTTP2_PREFACE.length);
      if (chunk.subarray(0, length).equals(HTTP2_PREFACE.subarray(0, length))) {
        // The HTTP/2 session reads the socket's handle directly, and passes
        // it the bytes already read; resuming the stream here would race it.
        http2Server.emit("connection", socket);
      } else {
        http1Server.emit("connection", socket);
        socket.resume();
      }
    });
  };

  const close = async (drainMs: number, beforeDisconnect: () => Promise<void>) => {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    await beforeDisconnect();
    for (const session of sessions) {
      session.close();
    }
    http1Server.closeIdleConnections();
    // Destroying the sockets, not only the HTTP/2 sessions, because a
    // session destroyed after a Connect-protocol stream can leave its socket
    // open (seen with Node 20.20), and the server waits for every socket.
    const drain = setTimeout(() => {
      for (const session of sessions) {
        session.destroy();
      }
      http1Server.closeAllConnections();
      for (const socket of sockets) {
        socket.destroy();
      }
    }, drainMs);
    await stopped;
    clearTimeout(drain);
  };

  return { server, close };
}
