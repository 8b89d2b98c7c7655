import { describe, expect, test } from "vitest";
import { parseTenantsFile } from "./tenants-file.js";
import { hashToken } from "./token.js";

const HASH_A = hashToken("token-a");
const HASH_B = hashToken("token-b");

function fileOf(tenants: unknown[]): string {
  return JSON.stringify({ tenants });
}

describe("parseTenantsFile", () => {
  test("finds each tenant by its token", () => {
    const directory = parseTenantsFile(fileOf([{ name: "team-a", token_sha256: HASH_A, max_sessions: 3 }, { name: "team-b", token_sha256: HASH_B }]), "/t.json", 7);

    expect(directory.size).toBe(2);
    expect(directory.findByToken("token-a")).toEqual({ name: "team-a", maxSessions: 3 });
    expect(directory.findByToken("token-b")).toEqual({ name: "team-b", maxSessions: 7 });
    expect(directory.findByToken("token-c")).toBeUndefined();
    expect(directory.findByToken(HASH_A)).toBeUndefined();
  });

  test("tenant without max_sessions and no server default has none", () => {
    expect(parseTenantsFile(fileOf([{ name: "a", token_sha256: HASH_A }]), "/t.json", undefined).findByToken("token-a")).toEqual({ name: "a", maxSessions: undefined });
  });

  const invalid: [string, string, string][] = [
    ["invalid JSON", "{", "tenants file /t.json is not valid JSON: "],
    ["missing list", "{}", "tenants file /t.json: tenants "],
    ["empty list", fileOf([]), "tenants file /t.json: tenants must list at least one tenant"],
    ["unknown top-level key", JSON.stringify({ tenants: [{ name: "a", token_sha256: HASH_A }], users: [] }), 'Unrecognized key: "users"'],
    ["unknown entry key", fileOf([{ name: "a", token_sha256: HASH_A, token: "x" }]), "tenants[0] Unrecognized key"],
    ["plaintext in place of the hash", fileOf([{ name: "a", token_sha256: "secret-token" }]), "tenants[0].token_sha256 must be 64 lowercase hex digits"],
    ["uppercase hash", fileOf([{ name: "a", token_sha256: HASH_A.toUpperCase() }]), "tenants[0].token_sha256 must be 64 lowercase hex digits"],
    ["empty name", fileOf([{ name: "", token_sha256: HASH_A }]), "tenants[0].name must be 1 to 64 letters"],
    ["name with a slash", fileOf([{ name: "a/b", token_sha256: HASH_A }]), "tenants[0].name must be 1 to 64 letters"],
    ["zero max_sessions", fileOf([{ name: "a", token_sha256: HASH_A, max_sessions: 0 }]), "tenants[0].max_sessions "],
    ["duplicate hash", fileOf([{ name: "a", token_sha256: HASH_A }, { name: "b", token_sha256: HASH_A }]), "tenants[1].token_sha256 is the same as an earlier tenant's"],
    ["duplicate name", fileOf([{ name: "a", token_sha256: HASH_A }, { name: "a", token_sha256: HASH_B }]), 'tenants[1].name "a" appears twice'],
  ];

  test.each(invalid)("rejects %s", (_case, text, message) => {
    expect(() => parseTenantsFile(text, "/t.json", undefined)).toThrow(message);
  });

  test("error never shows a token_sha256 value", () => {
    expect(() => parseTenantsFile(fileOf([{ name: "a", token_sha256: "my-secret-token" }]), "/t.json", undefined)).toThrow(/^(?!.*my-secret-token).*$/s);
  });

  test("errors are one line", () => {
    for (const [, text] of invalid) {
      expect(() => parseTenantsFile(text, "/t.json", undefined)).toThrow(/^[^\n]*$/);
    }
  });
});
