import type { SecureServerOptions } from "node:http2";
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { ServerConfig } from "../config.js";
import { decideListen } from "../net/listen-guard.js";
import { readTlsOptions } from "../net/tls-files.js";
import type { AccessDescription } from "../rpc/server-info-service.js";
import { createAuthInterceptor } from "./authenticate.js";
import { type TenantDirectory, readTenantsFile } from "./tenants-file.js";

/** Authentication interceptors and TLS options of the server. */
export interface Access {
  /** Interceptors to run after the logging one; empty without tokens. */
  readonly interceptors: readonly Interceptor[];
  /** Options of the TLS server, or undefined to serve without TLS. */
  readonly tls: SecureServerOptions | undefined;
  /** Tenants and their token hashes; undefined when the server has no tokens. */
  readonly tenants: TenantDirectory | undefined;
  readonly description: AccessDescription;
}

/**
 * Reads the tenants file and the TLS files, and checks that the listen
 * address is safe with them. Runs before the server creates anything, so a
 * refused start leaves nothing behind and never binds the port.
 * @throws Error for an unreadable or invalid file, or a non-loopback host without authentication.
 */
export async function prepareAccess(config: ServerConfig, log: Logger): Promise<Access> {
  const tenants = config.tenantsFile === undefined ? undefined : await readTenantsFile(config.tenantsFile, config.tenantMaxSessions);
  const description: AccessDescription = {
    tokensRequired: tenants !== undefined,
    tls: config.tlsCertFile !== undefined,
    clientCertificatesRequired: config.tlsClientCaFile !== undefined,
  };
  const decision = decideListen({ host: config.host, insecureNoAuth: config.insecureNoAuth, ...description });
  if (decision.kind === "reject") {
    throw new Error(decision.message);
  }
  if (decision.kind === "warn") {
    log.warn({ host: config.host }, decision.message);
  }

  const tls = config.tlsCertFile === undefined ? undefined : await readTlsOptions({ certFile: config.tlsCertFile, keyFile: config.tlsKeyFile!, clientCaFile: config.tlsClientCaFile });
  if (tenants !== undefined) {
    log.info({ tenants: tenants.size }, "bearer tokens required");
  }
  return { interceptors: tenants === undefined ? [] : [createAuthInterceptor(tenants)], tls, tenants, description };
}
