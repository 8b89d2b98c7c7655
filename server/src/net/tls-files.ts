import { readFile } from "node:fs/promises";
import type { SecureServerOptions } from "node:http2";

/** Paths of the server's TLS files, as configured. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** CAs of client certificates; set, every client must present a certificate that one of them signed. */
  readonly clientCaFile?: string | undefined;
}

async function readPem(path: string, setting: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`failed to read ${setting} ${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads the certificate, key and optional client CA into options of Node's
 * TLS server. With a client CA, a client without a certificate that the CA
 * signed is rejected during the handshake, before any request is read.
 * @throws Error naming the setting and path of a file that cannot be read.
 */
export async function readTlsOptions(files: TlsFiles): Promise<SecureServerOptions> {
  const [cert, key, ca] = await Promise.all([
    readPem(files.certFile, "tlsCertFile"),
    readPem(files.keyFile, "tlsKeyFile"),
    files.clientCaFile === undefined ? undefined : readPem(files.clientCaFile, "tlsClientCaFile"),
  ]);
  const clientCertificates = ca === undefined ? {} : { ca, requestCert: true, rejectUnauthorized: true };
  // gRPC needs HTTP/2 ("h2" in ALPN); allowHTTP1 keeps Connect and
  // gRPC-Web over HTTP/1.1 working for curl and browsers.
  return { cert, key, ...clientCertificates, allowHTTP1: true, ALPNProtocols: ["h2", "http/1.1"] };
}
