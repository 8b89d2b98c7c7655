import { describe, expect, test } from "vitest";
import { canonicalizeProcAddress, canonicalizeSocketAddress, isLoopbackAddress } from "./proc-net-address.js";

describe("canonicalizeSocketAddress", () => {
  test("writes IPv4 and IPv4-mapped IPv6 alike", () => {
    expect(canonicalizeSocketAddress("127.0.0.2")).toBe("00000000000000000000ffff7f000002");
    expect(canonicalizeSocketAddress("::ffff:127.0.0.2")).toBe("00000000000000000000ffff7f000002");
  });

  test("expands IPv6 abbreviations and drops a zone", () => {
    expect(canonicalizeSocketAddress("::1")).toBe("00000000000000000000000000000001");
    expect(canonicalizeSocketAddress("fe80::a:B%eth0")).toBe("fe8000000000000000000000000a000b");
    expect(canonicalizeSocketAddress("2001:db8:1:2:3:4:5:6")).toBe("20010db8000100020003000400050006");
  });

  test("refuses a string that is no address", () => {
    expect(canonicalizeSocketAddress("")).toBeUndefined();
    expect(canonicalizeSocketAddress("localhost")).toBeUndefined();
  });
});

describe("canonicalizeProcAddress", () => {
  test("reads the kernel's little-endian words", () => {
    expect(canonicalizeProcAddress("0200007F")).toBe("00000000000000000000ffff7f000002");
    expect(canonicalizeProcAddress("0000000000000000FFFF00000200007F")).toBe("00000000000000000000ffff7f000002");
    expect(canonicalizeProcAddress("00000000000000000000000001000000")).toBe("00000000000000000000000000000001");
  });

  test("refuses a column of another length", () => {
    expect(canonicalizeProcAddress("7F")).toBeUndefined();
  });
});

describe("isLoopbackAddress", () => {
  test("accepts 127.0.0.0/8 and ::1 only", () => {
    expect(isLoopbackAddress(canonicalizeSocketAddress("127.9.8.7")!)).toBe(true);
    expect(isLoopbackAddress(canonicalizeSocketAddress("::1")!)).toBe(true);
    expect(isLoopbackAddress(canonicalizeSocketAddress("10.0.0.1")!)).toBe(false);
    expect(isLoopbackAddress(canonicalizeSocketAddress("::2")!)).toBe(false);
  });
});
