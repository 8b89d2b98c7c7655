import { timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Tenant } from "./tenant.js";
import { hashToken } from "./token.js";

const TenantEntrySchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"),
    // Values are not echoed in errors: a plaintext token pasted here by
    // mistake must not reach the log.
    token_sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits, the SHA-256 of the token (the value is not shown)"),
    max_sessions: z.number().int().positive().optional(),
  })
  .strict();

const TenantsFileSchema = z.object({ tenants: z.array(TenantEntrySchema).min(1, "must list at least one tenant") }).strict();

/** Tenants by the digest of their token; a request's token is looked up here. */
export class TenantDirectory {
  private readonly entries: readonly { digest: Buffer; tenant: Tenant }[];

  constructor(entries: readonly { tokenSha256: string; tenant: Tenant }[]) {
    this.entries = entries.map((entry) => ({ digest: Buffer.from(entry.tokenSha256, "hex"), tenant: entry.tenant }));
  }

  /** Number of configured tenants. */
  get size(): number {
    return this.entries.length;
  }

  /**
   * Returns the tenant whose token this is, or undefined. Every stored
   * digest is compared with timingSafeEqual and the loop never stops early,
   * so the time taken does not depend on how much of a stored digest a
   * guessed token's digest matches, nor on which entry matched.
   */
  findByToken(token: string): Tenant | undefined {
    const digest = Buffer.from(hashToken(token), "hex");
    let found: Tenant | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, digest)) {
        found = entry.tenant;
      }
    }
    return found;
  }
}

/**
 * Parses the text of a tenants file: JSON such as
 * `{"tenants": [{"name": "team-a", "token_sha256": "<hex>", "max_sessions": 20}]}`.
 * Tenants without max_sessions get `defaultMaxSessions`.
 * @throws Error with one line naming the file, the entry and the problem.
 */
export function parseTenantsFile(text: string, path: string, defaultMaxSessions: number | undefined): TenantDirectory {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`tenants file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = TenantsFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("").replace(/^\./, "");
    throw new Error(`tenants file ${path}: ${where === "" ? "" : `${where} `}${issue.message}; expected {"tenants": [{"name": "...", "token_sha256": "<64 hex digits>", "max_sessions": 20}]}`);
  }

  const names = new Set<string>();
  const digests = new Set<string>();
  const entries = parsed.data.tenants.map((entry, index) => {
    if (names.has(entry.name)) {
      throw new Error(`tenants file ${path}: tenants[${index}].name ${JSON.stringify(entry.name)} appears twice; tenant names must be unique`);
    }
    if (digests.has(entry.token_sha256)) {
      throw new Error(`tenants file ${path}: tenants[${index}].token_sha256 is the same as an earlier tenant's; each tenant needs its own token`);
    }
    names.add(entry.name);
    digests.add(entry.token_sha256);
    return { tokenSha256: entry.token_sha256, tenant: { name: entry.name, maxSessions: entry.max_sessions ?? defaultMaxSessions } };
  });
  return new TenantDirectory(entries);
}

/** Reads and parses a tenants file. @throws Error naming the file when it cannot be read or is invalid. */
export async function readTenantsFile(path: string, defaultMaxSessions: number | undefined): Promise<TenantDirectory> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`failed to read the tenants file ${path}: ${(error as Error).message}`);
  }
  return parseTenantsFile(text, path, defaultMaxSessions);
}
