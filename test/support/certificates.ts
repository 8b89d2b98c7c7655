import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/** Paths and contents of a throwaway CA, a server certificate for 127.0.0.1 and localhost, and a client certificate. */
export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  readonly ca: Buffer;
  readonly clientCert: Buffer;
  readonly clientKey: Buffer;
}

async function openssl(dir: string, args: readonly string[]): Promise<void> {
  await execa("openssl", args, { cwd: dir });
}

/** Creates a key and a certificate that the test CA signs, with the given subject and extensions. */
async function issue(dir: string, name: string, subject: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions);
  await openssl(dir, ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
  await openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.crt`]);
}

/** Creates a CA, a server certificate and a client certificate with openssl in a new temporary directory. */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), "seatbelt-tls-"));
  await openssl(dir, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-subj", "/CN=Seatbelt test CA", "-days", "2", "-out", "ca.crt"]);
  await issue(dir, "server", "/CN=localhost", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  await issue(dir, "client", "/CN=seatbelt-test-client", "extendedKeyUsage=clientAuth\n");
  const [ca, clientCert, clientKey] = await Promise.all(["ca.crt", "client.crt", "client.key"].map((file) => readFile(join(dir, file))));
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    serverCertFile: join(dir, "server.crt"),
    serverKeyFile: join(dir, "server.key"),
    clientCertFile: join(dir, "client.crt"),
    clientKeyFile: join(dir, "client.key"),
    ca: ca!,
    clientCert: clientCert!,
    clientKey: clientKey!,
  };
}
