import { isIP } from "node:net";

/**
 * An IP address as 32 lowercase hex digits of its 16 bytes. IPv4 is written
 * as IPv4-mapped IPv6 (::ffff:a.b.c.d), so the same host compares equal
 * whether it was read from /proc/net/tcp, /proc/net/tcp6 or a Node socket.
 */
export type CanonicalAddress = string & { readonly __brand: "CanonicalAddress" };

const IPV4_MAPPED_PREFIX = "00000000000000000000ffff";

function fromIpv4(address: string): CanonicalAddress {
  const bytes = address.split(".").map((part) => Number.parseInt(part, 10).toString(16).padStart(2, "0"));
  return (IPV4_MAPPED_PREFIX + bytes.join("")) as CanonicalAddress;
}

/**
 * Returns the canonical form of an address as Node reports it
 * (socket.remoteAddress), or undefined for a string that is no IP address.
 */
export function canonicalizeSocketAddress(address: string): CanonicalAddress | undefined {
  const bare = address.replace(/%.*$/, "");
  if (isIP(bare) === 4) {
    return fromIpv4(bare);
  }
  if (isIP(bare) !== 6) {
    return undefined;
  }
  // An IPv6 address may end in dotted IPv4 (::ffff:127.0.0.1), which is
  // written as two groups before "::" is expanded.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  let text = bare;
  if (dotted !== null) {
    const ipv4Hex = fromIpv4(dotted[1]!).slice(IPV4_MAPPED_PREFIX.length);
    text = `${bare.slice(0, dotted.index)}${ipv4Hex.slice(0, 4)}:${ipv4Hex.slice(4)}`;
  }
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const headGroups = head === "" ? [] : head!.split(":");
  const tailGroups = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(missing).fill("0"), ...tailGroups];
  return groups.map((group) => group.toLowerCase().padStart(4, "0")).join("") as CanonicalAddress;
}

/**
 * Returns the canonical form of an address column of /proc/net/tcp or tcp6
 * without its port: 8 or 32 hex digits. The kernel prints each 32-bit word
 * of the address as a number in the machine's byte order, which is
 * little-endian on both architectures that the server supports.
 */
export function canonicalizeProcAddress(hex: string): CanonicalAddress | undefined {
  if (!/^[0-9A-Fa-f]{8}$|^[0-9A-Fa-f]{32}$/.test(hex)) {
    return undefined;
  }
  const words = hex.match(/.{8}/g)!.map((word) => word.match(/../g)!.reverse().join("").toLowerCase());
  return (words.length === 1 ? IPV4_MAPPED_PREFIX + words[0] : words.join("")) as CanonicalAddress;
}

/** Tells whether a canonical address is a loopback address: 127.0.0.0/8 or ::1. */
export function isLoopbackAddress(address: CanonicalAddress): boolean {
  return address.startsWith(`${IPV4_MAPPED_PREFIX}7f`) || address === `${"0".repeat(31)}1`;
}
