import { describe, expect, test } from "vitest";
import { findPeerUid } from "./loopback-peer.js";

const HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode";

// Rows as the kernel writes them: a listener on 127.0.0.1:50051 (0xC383), a
// client of user 65534 on port 41000 (0xA028) connected to it, and the
// server's end.
const TABLE = [
  HEADER,
  "   0: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0",
  "   1: 0100007F:A028 0100007F:C383 01 00000000:00000000 00:00000000 00000000 65534        0 1002 1 0000000000000000 20 4 30 10 -1",
  "   2: 0100007F:C383 0100007F:A028 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1",
].join("\n");

const SERVER_END = { localAddress: "127.0.0.1", localPort: 50051 };

describe("findPeerUid", () => {
  test("finds the owner of the client end", () => {
    expect(findPeerUid(TABLE, { ...SERVER_END, remoteAddress: "127.0.0.1", remotePort: 41000 })).toBe(65534);
  });

  test("reads the row whose addresses and ports match, whichever end it is", () => {
    expect(findPeerUid(TABLE, { localAddress: "127.0.0.1", localPort: 41000, remoteAddress: "127.0.0.1", remotePort: 50051 })).toBe(0);
    expect(findPeerUid(TABLE, { ...SERVER_END, remoteAddress: "127.0.0.1", remotePort: 0 })).toBeUndefined();
  });

  test("unknown connection has no owner", () => {
    expect(findPeerUid(TABLE, { ...SERVER_END, remoteAddress: "127.0.0.1", remotePort: 41001 })).toBeUndefined();
  });

  test("client that took the server's port on another loopback address is found by its own row", () => {
    // The server's row comes first and matches by ports alone: 127.0.0.1:50051 <-> 127.0.0.2:50051.
    const table = [
      HEADER,
      "   0: 0100007F:C383 0200007F:C383 01 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 20 4 30 10 -1",
      "   1: 0200007F:C383 0100007F:C383 01 00000000:00000000 00:00000000 00000000 65534        0 2002 1 0000000000000000 20 4 30 10 -1",
    ].join("\n");

    expect(findPeerUid(table, { ...SERVER_END, remoteAddress: "127.0.0.2", remotePort: 50051 })).toBe(65534);
  });

  test("row of a closed socket names no owner", () => {
    // TIME_WAIT (06) and orphaned sockets have inode 0 and read uid 0.
    const table = [HEADER, "   0: 0100007F:A028 0100007F:C383 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000"].join("\n");

    expect(findPeerUid(table, { ...SERVER_END, remoteAddress: "127.0.0.1", remotePort: 41000 })).toBeUndefined();
  });

  test("client of an IPv4-mapped address is found in the tcp6 table", () => {
    const table = [
      HEADER,
      "   0: 0000000000000000FFFF00000100007F:A028 0000000000000000FFFF00000100007F:C383 01 00000000:00000000 00:00000000 00000000 65534        0 3001 1 0000000000000000 20 4 30 10 -1",
    ].join("\n");

    expect(findPeerUid(table, { localAddress: "::ffff:127.0.0.1", localPort: 50051, remoteAddress: "::ffff:127.0.0.1", remotePort: 41000 })).toBe(65534);
  });
});
