import { createHash, randomBytes } from "node:crypto";

/** Random bytes in a new token: 256 bits, far beyond any guessing. @default 32 */
const TOKEN_BYTES = 32;

/**
 * Returns the SHA-256 digest of a token as lowercase hex, the form the
 * tenants file stores. A single fast hash is enough, unlike for passwords:
 * tokens are 256 random bits, so a stolen tenants file gives nothing to
 * guess from, and a slow hash would only slow every RPC.
 */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Creates a random token (64 hex characters) and its digest for the tenants file. */
export function createToken(): { token: string; tokenSha256: string } {
  const token = randomBytes(TOKEN_BYTES).toString("hex");
  return { token, tokenSha256: hashToken(token) };
}
