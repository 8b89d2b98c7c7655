import { Code, type ConnectError } from "@connectrpc/connect";
import { describe, expect, test } from "vitest";
import { catchConnectError } from "../../../test/support/connect-errors.js";
import { authenticate } from "./authenticate.js";
import { parseTenantsFile } from "./tenants-file.js";
import { createToken, hashToken } from "./token.js";

const TOKEN = "0123456789abcdef0123456789abcdef";
const tenants = parseTenantsFile(JSON.stringify({ tenants: [{ name: "team-a", token_sha256: hashToken(TOKEN) }] }), "/t.json", undefined);

function rejection(header: string | null): ConnectError {
  return catchConnectError(() => authenticate(header, tenants));
}

describe("authenticate", () => {
  test("bearer token maps to its tenant", () => {
    expect(authenticate(`Bearer ${TOKEN}`, tenants).name).toBe("team-a");
    expect(authenticate(`bearer  ${TOKEN}`, tenants).name).toBe("team-a");
  });

  const cases: [string, string | null, string][] = [
    ["missing header", null, "missing authorization header"],
    ["blank header", "  ", "missing authorization header"],
    ["basic scheme", `Basic ${TOKEN}`, "does not use the Bearer scheme"],
    ["token without scheme", TOKEN, "does not use the Bearer scheme"],
    ["scheme without token", "Bearer ", 'has no token after "Bearer"'],
    ["unknown token", "Bearer wrong-token", "invalid bearer token"],
    ["token with a suffix", `Bearer ${TOKEN}x`, "invalid bearer token"],
  ];

  test.each(cases)("%s is unauthenticated", (_case, header, message) => {
    const error = rejection(header);

    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain(message);
  });

  test("message never contains the token sent", () => {
    const sent = "Bearer not-a-known-token-123";

    expect(rejection(sent).message).not.toContain("not-a-known-token-123");
    expect(rejection(`Basic ${TOKEN}`).message).not.toContain(TOKEN);
  });
});

describe("createToken", () => {
  test("token is 64 hex digits and the digest is its SHA-256", () => {
    const { token, tokenSha256 } = createToken();

    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenSha256).toBe(hashToken(token));
    expect(createToken().token).not.toBe(token);
  });
});
