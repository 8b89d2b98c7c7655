import { readFile } from "node:fs/promises";
import type { Socket } from "node:net";

/** Ports of one TCP connection, from the accepting side. */
export interface ConnectionEnds {
  readonly localPort: number;
  readonly remotePort: number;
}

/** State code of an established connection in /proc/net/tcp. */
const TCP_ESTABLISHED = "01";

/**
 * Finds the owner of a connection's client socket in the text of
 * /proc/net/tcp or /proc/net/tcp6. The client's row has the client port as
 * its local port and the server port as its remote port. Column 8 is the uid
 * that created the socket.
 */
export function findPeerUid(procNetTcp: string, ends: ConnectionEnds): number | undefined {
  for (const line of procNetTcp.split("\n").slice(1)) {
    const columns = line.trim().split(/\s+/);
    if (columns.length < 8 || columns[3] !== TCP_ESTABLISHED) {
      continue;
    }
    if (readPort(columns[1]) === ends.remotePort && readPort(columns[2]) === ends.localPort) {
      return Number.parseInt(columns[7] ?? "", 10);
    }
  }
  return undefined;
}

function readPort(address: string | undefined): number {
  return Number.parseInt(address?.split(":")[1] ?? "", 16);
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
 * read and drive other sessions through the API.
 */
export function rejectSandboxPeers(sandboxUid: number, onRejected: (ends: ConnectionEnds) => void): (socket: Socket) => Promise<boolean> {
  return async (socket) => {
    const ends = { localPort: socket.localPort ?? 0, remotePort: socket.remotePort ?? 0 };
    const uid = await readLoopbackPeerUid(ends);
    if (uid === sandboxUid) {
      onRejected(ends);
      return false;
    }
    return true;
  };
}
