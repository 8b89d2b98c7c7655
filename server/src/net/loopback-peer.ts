import { readFile } from "node:fs/promises";
import type { Socket } from "node:net";
import { type CanonicalAddress, canonicalizeProcAddress, canonicalizeSocketAddress, isLoopbackAddress } from "./proc-net-address.js";

/** Addresses and ports of one TCP connection, from the accepting side, as Node reports them. */
export interface ConnectionEnds {
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/** State code of a listening socket in /proc/net/tcp. */
const TCP_LISTEN = "0A";

function readEnd(column: string | undefined): { address: CanonicalAddress | undefined; port: number } {
  const [address, port] = (column ?? "").split(":");
  return { address: canonicalizeProcAddress(address ?? ""), port: Number.parseInt(port ?? "", 16) };
}

function sameEnd(end: { address: CanonicalAddress | undefined; port: number }, address: CanonicalAddress, port: number): boolean {
  return end.address === address && end.port === port;
}

/**
 * Finds the owner of a connection's client socket in the text of
 * /proc/net/tcp or /proc/net/tcp6. The client's row has the client's
 * address and port as its local end and the server's as its remote end.
 * All four must match, because a client may pick its own port: with the
 * server's port on another loopback address, the server's own row would
 * match by ports alone. Column 8 is the uid that created the socket. A row
 * with inode 0 belongs to no process any more (TIME_WAIT, or closed while
 * still sending) and reads uid 0, so it names no owner.
 */
export function findPeerUid(procNetTcp: string, ends: ConnectionEnds): number | undefined {
  const server = canonicalizeSocketAddress(ends.localAddress);
  const client = canonicalizeSocketAddress(ends.remoteAddress);
  if (server === undefined || client === undefined) {
    return undefined;
  }
  for (const line of procNetTcp.split("\n").slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 10 || columns[3] === TCP_LISTEN || columns[9] === "0") {
      continue;
    }
    if (sameEnd(readEnd(columns[1]), client, ends.remotePort) && sameEnd(readEnd(columns[2]), server, ends.localPort)) {
      return Number.parseInt(columns[7] ?? "", 10);
    }
  }
  return undefined;
}

/**
 * Reads which uid opened the client end of a loopback connection, or
 * undefined when the kernel's tables do not list it (a connection from
 * another network namespace, or one already closed).
 */
export async function readLoopbackPeerUid(ends: ConnectionEnds): Promise<number | undefined> {
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await readFile(table, "utf8").catch(() => "");
    const uid = findPeerUid(text, ends);
    if (uid !== undefined) {
      return uid;
    }
  }
  return undefined;
}

/**
 * Creates a connection check that rejects clients running as the sandbox
 * user. A session whose profile shares the host's network namespace can
 * reach the server's own port. Without this check, its code could create,
 * read and drive other sessions through the API. A loopback client whose
 * socket the tables do not show with an owner is rejected too: it is on
 * this machine, so it has closed already (its request could still run,
 * unanswered) or hides its owner.
 * TODO: a client that connects to a non-loopback address of this machine
 * and closes at once is admitted like a remote client, so its request runs
 * unanswered. Reading the owner with sock_diag, which reports sockets while
 * they close, would close that gap.
 */
export function rejectSandboxPeers(sandboxUid: number, onRejected: (ends: ConnectionEnds) => void): (socket: Socket) => Promise<boolean> {
  return async (socket) => {
    const ends = { localAddress: socket.localAddress ?? "", localPort: socket.localPort ?? 0, remoteAddress: socket.remoteAddress ?? "", remotePort: socket.remotePort ?? 0 };
    const uid = await readLoopbackPeerUid(ends);
    const client = canonicalizeSocketAddress(ends.remoteAddress);
    if (uid === sandboxUid || (uid === undefined && (client === undefined || isLoopbackAddress(client)))) {
      onRejected(ends);
      return false;
    }
    return true;
  };
}
