import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

/** The first bytes of every HTTP/2 connection without TLS (RFC 9113, section 3.4). */
const HTTP2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Time a new connection has to send its first bytes (or, with TLS, to finish
 * its handshake) before it is closed. Until then nothing, not even the
 * token check, has run, so without a bound anyone who can reach the port
 * could hold its file descriptors open with idle connections. @default 10000
 */
export const FIRST_BYTES_TIMEOUT_MS = 10_000;

/**
 * Time an HTTP/2 connection may stay open without any stream before it is
 * closed. Clients reconnect on their next call. @default 300000
 */
export const IDLE_SESSION_TIMEOUT_MS = 300_000;

/** Timeouts of connections; the defaults are the constants above. */
export interface ListenerTimeouts {
  readonly firstBytesMs?: number;
  readonly idleSessionMs?: number;
}

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
export function createDualProtocolListener(handler: Handler, admit?: AdmitConnection, tls?: http2.SecureServerOptions, timeouts: ListenerTimeouts = {}): DualProtocolListener {
  const firstBytesMs = timeouts.firstBytesMs ?? FIRST_BYTES_TIMEOUT_MS;
  const idleSessionMs = timeouts.idleSessionMs ?? IDLE_SESSION_TIMEOUT_MS;
  const http1Server = http.createServer(handler);
  const http2Server = tls === undefined ? http2.createServer(handler) : http2.createSecureServer({ ...tls, handshakeTimeout: firstBytesMs }, handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  http2Server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    closeWhenIdle(session, idleSessionMs);
  });

  const sockets = new Set<net.Socket>();
  function destroySilent(this: net.Socket) {
    this.destroy();
  }
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    if (tls === undefined) {
      // The HTTP servers bound their connections only once they have them.
      socket.setTimeout(firstBytesMs);
      socket.once("timeout", destroySilent);
    }
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
      socket.setTimeout(0);
      socket.off("timeout", destroySilent);
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

/**
 * Closes an HTTP/2 session once it has had no open stream for idleMs. A
 * quiet stream keeps its session open: Execute streams carry keepalives,
 * and a long call must not lose its connection.
 * TODO: a client can still hold a session open with a request whose body
 * it never finishes; a deadline for reading request bodies would bound it.
 */
function closeWhenIdle(session: http2.ServerHttp2Session, idleMs: number): void {
  let openStreams = 0;
  let timer = setTimeout(() => session.close(), idleMs).unref();
  session.on("stream", (stream) => {
    openStreams++;
    clearTimeout(timer);
    stream.on("close", () => {
      openStreams--;
      if (openStreams === 0 && !session.closed && !session.destroyed) {
        timer = setTimeout(() => session.close(), idleMs).unref();
      }
    });
  });
  session.on("close", () => clearTimeout(timer));
}
