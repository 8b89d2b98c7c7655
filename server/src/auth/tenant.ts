import { createContextKey } from "@connectrpc/connect";

/** A caller of the API, known by its bearer token, that owns the sessions it creates. */
export interface Tenant {
  /** Name from the tenants file; it appears in logs, never in another tenant's responses. */
  readonly name: string;
  /** Sessions this tenant may have at once; undefined leaves only the server's maxSessions. */
  readonly maxSessions: number | undefined;
}

/** The only tenant of a server without tokens: every caller shares its sessions, as before tenants existed. */
export const ANONYMOUS_TENANT: Tenant = Object.freeze({ name: "anonymous", maxSessions: undefined });

/**
 * Context value that carries the caller's tenant from the authentication
 * interceptor to the handlers. Its default, the anonymous tenant, applies
 * when the server has no tokens, so handlers never see a missing tenant.
 */
export const TENANT_KEY = createContextKey<Tenant>(ANONYMOUS_TENANT, { description: "tenant of the caller" });
