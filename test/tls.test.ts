import { fileURLToPath } from "node:url";
import { Code, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { execa } from "execa";
import { afterAll, beforeAll } from "vitest";
import { createSeatbeltClient } from "../client/src/index.js";
import { ServerInfoService } from "../server/src/gen/seatbelt/v1/server_info_pb.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { type TestCertificates, createTestCertificates } from "./support/certificates.js";
import { rejectionOf } from "./support/connect-errors.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";
import { writeTenantsFile } from "./support/tenants.js";

const CLI = fileURLToPath(new URL("../client/dist/cli/main.js", import.meta.url));
const TOKEN = "c".repeat(64);

let certificates: TestCertificates;
let tlsServer: SeatbeltServer;
let mutualServer: SeatbeltServer;

beforeAll(async () => {
  certificates = await createTestCertificates();
  const tls = { tlsCertFile: certificates.serverCertFile, tlsKeyFile: certificates.serverKeyFile, warmPoolSize: 0 };
  tlsServer = await startTestServer(tls);
  const tenantsFile = await writeTenantsFile([{ name: "cli", token: TOKEN }]);
  mutualServer = await startTestServer({ ...tls, tlsClientCaFile: certificates.caFile, tenantsFile });
});

afterAll(async () => {
  await tlsServer?.close();
  await mutualServer?.close();
});

describe("TLS", () => {
  test("server URL is https", () => {
    expect(tlsServer.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  test.each(["grpc", "connect", "grpc-web"] as const)("%s client runs code over TLS", async (protocol) => {
    const client = createSeatbeltClient({ baseUrl: tlsServer.url, protocol, tls: { ca: certificates.ca } });
    const session = await client.createSession();
    try {
      const outcome = await session.runPython("print(6 * 7)");

      expect(outcome.stdout).toBe("42\n");
    } finally {
      await session.close();
    }
  });

  test("Connect over HTTP/1.1 with TLS works", async () => {
    const transport = createConnectTransport({ baseUrl: tlsServer.url, httpVersion: "1.1", nodeOptions: { ca: certificates.ca } });
    const info = await createClient(ServerInfoService, transport).getServerInfo({});

    expect(info.tls).toBe(true);
    expect(info.clientCertificatesRequired).toBe(false);
    expect(info.tokensRequired).toBe(false);
  });

  test("client that does not trust the CA is rejected", async () => {
    const error = await rejectionOf(createSeatbeltClient({ baseUrl: tlsServer.url }).getServerInfo());

    // connect-node reports a failed TLS handshake as INTERNAL.
    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toContain("unable to verify the first certificate");
  });

  test("plaintext to a TLS port fails", async () => {
    const error = await rejectionOf(createSeatbeltClient({ baseUrl: tlsServer.url.replace("https:", "http:") }).getServerInfo());

    // The TLS server closes the connection at the HTTP/2 preface, which
    // connect-node reports as a cancelled stream.
    expect(error.code).toBe(Code.Canceled);
    expect(error.rawMessage).toContain("stream closed");
  });
});

describe("mutual TLS", () => {
  test("client with a certificate is served", async () => {
    const client = createSeatbeltClient({ baseUrl: mutualServer.url, token: TOKEN, tls: { ca: certificates.ca, cert: certificates.clientCert, key: certificates.clientKey } });
    const info = await client.getServerInfo();

    expect(info.tls).toBe(true);
    expect(info.clientCertificatesRequired).toBe(true);
    expect(info.tenant).toBe("cli");
  });

  test("client without a certificate is rejected", async () => {
    const error = await rejectionOf(createSeatbeltClient({ baseUrl: mutualServer.url, token: TOKEN, tls: { ca: certificates.ca } }).getServerInfo());

    expect(error.code).toBe(Code.Internal);
    expect(error.rawMessage).toContain("certificate required");
  });

  test("CLI takes the token from SEATBELT_TOKEN and the certificates from flags", async () => {
    const run = await execa(
      "node",
      [CLI, "--url", mutualServer.url, "--ca", certificates.caFile, "--cert", certificates.clientCertFile, "--key", certificates.clientKeyFile, "python", "print('over mTLS')"],
      { env: { SEATBELT_TOKEN: TOKEN }, reject: false },
    );

    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("over mTLS");
    expect(run.exitCode).toBe(0);
  });

  test("CLI without a token names the missing header", async () => {
    const run = await execa("node", [CLI, "--url", mutualServer.url, "--ca", certificates.caFile, "--cert", certificates.clientCertFile, "--key", certificates.clientKeyFile, "sessions"], {
      env: { SEATBELT_TOKEN: "" },
      reject: false,
    });

    expect(run.stderr).toContain("missing authorization header");
    expect(run.exitCode).toBe(1);
  });
});
