import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { TENANT_KEY, type Tenant } from "./tenant.js";
import type { TenantDirectory } from "./tenants-file.js";

/**
 * Services that serve calls without a token, because load balancers and orchestrators
 * probe health without credentials. Reflection is not listed, so a caller
 * needs a token even to list the API.
 */
export const UNAUTHENTICATED_SERVICES: ReadonlySet<string> = new Set(["grpc.health.v1.Health"]);

const USAGE = "send the header 'authorization: Bearer <token>'";

/**
 * Returns the tenant of an authorization header's bearer token.
 * @throws ConnectError UNAUTHENTICATED saying what is missing or wrong; the token itself is never part of the message.
 */
export function authenticate(authorization: string | null, tenants: TenantDirectory): Tenant {
  if (authorization === null || authorization.trim() === "") {
    throw new ConnectError(`missing authorization header: this server requires a bearer token, so ${USAGE}`, Code.Unauthenticated);
  }
  // RFC 6750 section 2.1: the scheme is case-insensitive, one or more spaces follow it.
  const match = /^Bearer +(\S*)\s*$/i.exec(authorization);
  if (match === null) {
    throw new ConnectError(`authorization header does not use the Bearer scheme; ${USAGE}`, Code.Unauthenticated);
  }
  const token = match[1]!;
  if (token === "") {
    throw new ConnectError(`authorization header has no token after "Bearer"; ${USAGE}`, Code.Unauthenticated);
  }
  const tenant = tenants.findByToken(token);
  if (tenant === undefined) {
    throw new ConnectError("invalid bearer token: it belongs to no tenant of this server", Code.Unauthenticated);
  }
  return tenant;
}

/**
 * Creates a server interceptor that rejects RPCs without a valid bearer
 * token, except those of UNAUTHENTICATED_SERVICES, and hands the caller's
 * tenant to the handlers as the TENANT_KEY context value.
 */
export function createAuthInterceptor(tenants: TenantDirectory): Interceptor {
  return (next) => async (request) => {
    if (!UNAUTHENTICATED_SERVICES.has(request.service.typeName)) {
      request.contextValues.set(TENANT_KEY, authenticate(request.header.get("authorization"), tenants));
    }
    return next(request);
  };
}
