import { isIP } from "node:net";

/** What start-up decides about the listen address. */
export type ListenDecision =
  | { readonly kind: "allow" }
  | { readonly kind: "warn"; readonly message: string }
  | { readonly kind: "reject"; readonly message: string };

/** Facts about the server's settings that decide whether its address is safe to listen on. */
export interface ListenSettings {
  readonly host: string;
  /** Callers must send a bearer token. */
  readonly tokensRequired: boolean;
  /** The port serves TLS. */
  readonly tls: boolean;
  /** Callers must present a client certificate signed by the configured CA. */
  readonly clientCertificatesRequired: boolean;
  /** The operator accepts serving anyone who can reach the port. */
  readonly insecureNoAuth: boolean;
}

/** Tells whether a host name or address reaches only this machine: 127.0.0.0/8, ::1 or localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (bare === "localhost") {
    return true;
  }
  if (isIP(bare) === 4) {
    return bare.startsWith("127.");
  }
  if (isIP(bare) === 6) {
    return bare === "::1" || bare === "0:0:0:0:0:0:0:1" || /^::ffff:127\./.test(bare);
  }
  return false;
}

/**
 * Decides whether the server may listen on its host. The API runs code, so
 * an address that other machines can reach needs authentication (tokens or
 * client certificates), or the operator's explicit --insecure-no-auth, which
 * still earns a warning at every start.
 */
export function decideListen(settings: ListenSettings): ListenDecision {
  if (isLoopbackHost(settings.host) || settings.clientCertificatesRequired) {
    return { kind: "allow" };
  }
  if (settings.tokensRequired) {
    return settings.tls
      ? { kind: "allow" }
      : {
          kind: "warn",
          message: `listening on ${settings.host} with bearer tokens but without TLS: tokens cross the network in clear text, so anyone who can watch the traffic can reuse them; set tlsCertFile and tlsKeyFile`,
        };
  }
  if (settings.insecureNoAuth) {
    return {
      kind: "warn",
      message: `listening on ${settings.host} without authentication (--insecure-no-auth): anyone who can reach this port can run code on this machine; configure tenantsFile or tlsClientCaFile`,
    };
  }
  return {
    kind: "reject",
    message: `listening on ${settings.host} without authentication is not allowed, because anyone who can reach the port could run code; set tenantsFile (bearer tokens) or tlsClientCaFile (client certificates), listen on 127.0.0.1, or pass --insecure-no-auth to accept the risk`,
  };
}
