import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashToken } from "../../server/src/auth/token.js";

/** A tenant of a test server, with the plaintext token that clients send. */
export interface TestTenant {
  readonly name: string;
  readonly token: string;
  readonly maxSessions?: number;
}

/** Writes a tenants file with the hashes of the tenants' tokens and returns its path. */
export async function writeTenantsFile(tenants: readonly TestTenant[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "seatbelt-tenants-"));
  const path = join(dir, "tenants.json");
  const entries = tenants.map((tenant) => ({ name: tenant.name, token_sha256: hashToken(tenant.token), ...(tenant.maxSessions === undefined ? {} : { max_sessions: tenant.maxSessions }) }));
  await writeFile(path, JSON.stringify({ tenants: entries }));
  return path;
}
