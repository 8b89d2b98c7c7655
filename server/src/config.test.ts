import { describe, expect, test } from "vitest";
import { resolveConfig } from "./config.js";

describe("resolveConfig", () => {
  test("TLS certificate without key is rejected", () => {
    expect(() => resolveConfig({ tlsCertFile: "/etc/seatbelt/server.crt" })).toThrow("tlsCertFile and tlsKeyFile must be set together");
  });

  test("TLS key without certificate is rejected", () => {
    expect(() => resolveConfig({ tlsKeyFile: "/etc/seatbelt/server.key" })).toThrow("tlsCertFile and tlsKeyFile must be set together");
  });

  test("client CA without TLS is rejected", () => {
    expect(() => resolveConfig({ tlsClientCaFile: "/etc/seatbelt/ca.crt" })).toThrow("tlsClientCaFile needs tlsCertFile and tlsKeyFile");
  });

  test("maxCodeBytes above its ceiling is rejected", () => {
    expect(() => resolveConfig({ maxCodeBytes: 9 * 1024 * 1024 })).toThrow("8388608");
  });

  test("access settings default to loopback without TLS", () => {
    const config = resolveConfig({});

    expect(config.insecureNoAuth).toBe(false);
    expect(config.tenantsFile).toBeUndefined();
    expect(config.tlsCertFile).toBeUndefined();
    expect(config.maxCodeBytes).toBe(1024 * 1024);
  });
});
