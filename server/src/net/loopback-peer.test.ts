import { describe, expect, test } from "vitest";
import { findPeerUid } from "./loopback-peer.js";

// Rows as the kernel writes them: a listener on port 50051 (0xC383), a client
// of user 65534 on port 41000 (0xA028) connected to it, and the server's end.
const TABLE = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0100007F:C383 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0",
  "   1: 0100007F:A028 0100007F:C383 01 00000000:00000000 00:00000000 00000000 65534        0 1002 1 0000000000000000 20 4 30 10 -1",
  "   2: 0100007F:C383 0100007F:A028 01 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 20 4 30 10 -1",
].join("\n");

describe("findPeerUid", () => {
  test("finds the owner of the client end", () => {
    expect(findPeerUid(TABLE, { localPort: 50051, remotePort: 41000 })).toBe(65534);
  });

  test("reads the row whose ports match, whichever end it is", () => {
    expect(findPeerUid(TABLE, { localPort: 41000, remotePort: 50051 })).toBe(0);
    expect(findPeerUid(TABLE, { localPort: 50051, remotePort: 0 })).toBeUndefined();
  });

  test("unknown connection has no owner", () => {
    expect(findPeerUid(TABLE, { localPort: 50051, remotePort: 41001 })).toBeUndefined();
  });
});
