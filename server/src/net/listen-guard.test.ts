import { describe, expect, test } from "vitest";
import { type ListenDecision, decideListen, isLoopbackHost } from "./listen-guard.js";

describe("isLoopbackHost", () => {
  test.each(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"])("%s is loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  test.each(["0.0.0.0", "::", "10.0.0.1", "192.168.1.5", "128.0.0.1", "example.com", "localhost.example.com", "::2"])("%s is not loopback", (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

/** Returns a decision's message, or "" for an allowed address. */
function messageOf(decision: ListenDecision): string {
  return decision.kind === "allow" ? "" : decision.message;
}

describe("decideListen", () => {
  const open = { tokensRequired: false, tls: false, clientCertificatesRequired: false, insecureNoAuth: false };

  test("loopback without authentication is allowed", () => {
    expect(decideListen({ ...open, host: "127.0.0.1" })).toEqual({ kind: "allow" });
  });

  test("other address without authentication is rejected", () => {
    const decision = decideListen({ ...open, host: "0.0.0.0" });

    expect(decision.kind).toBe("reject");
    expect(messageOf(decision)).toContain("listening on 0.0.0.0 without authentication is not allowed");
    expect(messageOf(decision)).toContain("--insecure-no-auth");
  });

  test("other address with tokens and TLS is allowed", () => {
    expect(decideListen({ ...open, host: "0.0.0.0", tokensRequired: true, tls: true })).toEqual({ kind: "allow" });
  });

  test("other address with tokens in clear text warns", () => {
    const decision = decideListen({ ...open, host: "0.0.0.0", tokensRequired: true });

    expect(decision.kind).toBe("warn");
    expect(messageOf(decision)).toContain("tokens cross the network in clear text");
  });

  test("other address with client certificates is allowed", () => {
    expect(decideListen({ ...open, host: "::", clientCertificatesRequired: true })).toEqual({ kind: "allow" });
  });

  test("insecure flag allows other address with a warning", () => {
    const decision = decideListen({ ...open, host: "0.0.0.0", insecureNoAuth: true });

    expect(decision.kind).toBe("warn");
    expect(messageOf(decision)).toContain("anyone who can reach this port can run code");
  });
});
