import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import http2 from "node:http2";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { Code, createClient } from "@connectrpc/connect";
import { execa } from "execa";
import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { AuthenticationError, type SeatbeltClient, createSeatbeltClient, createTransport } from "../client/src/index.js";
import { Health } from "../server/src/gen/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../server/src/gen/grpc/reflection/v1/reflection_pb.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { rejectionOf } from "./support/connect-errors.js";
import { describe, expect, startTestServer, test } from "./support/fixtures.js";
import { type TestTenant, writeTenantsFile } from "./support/tenants.js";
import { README_ADDRESS, getToolsEnv, readReadmeExample } from "./support/tools.js";

const SERVER_MAIN = fileURLToPath(new URL("../server/dist/main.js", import.meta.url));

const TEAM_A: TestTenant = { name: "team-a", token: "a".repeat(64), maxSessions: 2 };
const TEAM_B: TestTenant = { name: "team-b", token: "b".repeat(64) };
/** Sessions of a tenant whose entry sets no max_sessions. */
const TENANT_DEFAULT_MAX_SESSIONS = 3;

let server: SeatbeltServer;
let teamA: SeatbeltClient;
let teamB: SeatbeltClient;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  const tenantsFile = await writeTenantsFile([TEAM_A, TEAM_B]);
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>));
      done();
    },
  });
  server = await startTestServer({ tenantsFile, tenantMaxSessions: TENANT_DEFAULT_MAX_SESSIONS }, pino({ level: "info" }, logStream));
  teamA = createSeatbeltClient({ baseUrl: server.url, token: TEAM_A.token });
  teamB = createSeatbeltClient({ baseUrl: server.url, token: TEAM_B.token });
});

afterAll(async () => {
  await server?.close();
});

describe("bearer tokens", () => {
  test("call without a token is unauthenticated", async () => {
    const error = await rejectionOf(createSeatbeltClient({ baseUrl: server.url }).listSessions());

    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain("missing authorization header");
  });

  test("unknown token is unauthenticated and not echoed", async () => {
    const error = await rejectionOf(createSeatbeltClient({ baseUrl: server.url, token: "guessed-token-1234" }).getServerInfo());

    expect(error.code).toBe(Code.Unauthenticated);
    expect(error.rawMessage).toContain("invalid bearer token");
    expect(error.message).not.toContain("guessed-token-1234");
  });

  test("token works over every protocol", async () => {
    for (const protocol of ["grpc", "connect", "grpc-web"] as const) {
      const client = createSeatbeltClient({ baseUrl: server.url, token: TEAM_A.token, protocol });

      expect((await client.getServerInfo()).tenant, protocol).toBe("team-a");
    }
  });

  // A unary call, because connect-node reads a unary request's whole message
  // before interceptors run. gRPC and gRPC-Web carry the code in a
  // grpc-status header (a trailers-only response), Connect in the HTTP status.
  test.for([
    ["grpc", "application/grpc", 200, "16"],
    ["grpc-web", "application/grpc-web+proto", 200, "16"],
    ["connect", "application/proto", 401, undefined],
  ] as const)("%s unary call without a token is answered before its body ends", async ([, contentType, status, grpcStatus]) => {
    const url = new URL(server.url);
    const connection = http2.connect(url.origin);
    try {
      const stream = connection.request({ ":method": "POST", ":path": "/seatbelt.v1.SessionService/GetSession", "content-type": contentType });
      // The start of a body that never ends, announcing an 8 MiB message: a
      // server that read the whole message before checking the token would
      // never answer.
      const prefix = Buffer.alloc(contentType === "application/proto" ? 0 : 5);
      prefix.length > 0 && prefix.writeUInt32BE(8 << 20, 1);
      stream.write(Buffer.concat([prefix, Buffer.alloc(64 * 1024)]));
      const [headers, body] = await new Promise<[http2.IncomingHttpHeaders, string]>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let responseHeaders: http2.IncomingHttpHeaders = {};
        stream.on("response", (received) => (responseHeaders = received));
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => resolve([responseHeaders, Buffer.concat(chunks).toString("latin1")]));
        stream.on("error", reject);
      });

      expect(headers[":status"]).toBe(status);
      expect(headers["grpc-status"]).toBe(grpcStatus);
      expect(`${headers["grpc-message"] ?? ""}${body}`).toContain("missing authorization header");
      expect(grpcStatus !== undefined || body.includes('"code":"unauthenticated"')).toBe(true);
    } finally {
      connection.close();
    }
  });

  test("health check needs no token", async () => {
    const health = createClient(Health, createTransport(server.url));

    expect((await health.check({ service: "seatbelt.v1.SessionService" })).status).toBe(1);
  });

  test("reflection needs a token", async () => {
    const request = async function* () {
      yield { messageRequest: { case: "listServices" as const, value: "" } };
    };
    const anonymous = createClient(ServerReflection, createTransport(server.url));
    const error = await rejectionOf((async () => {
      for await (const _ of anonymous.serverReflectionInfo(request())) {
        // Only the error matters.
      }
    })());
    expect(error.code).toBe(Code.Unauthenticated);

    const reflection = createClient(ServerReflection, createTransport(server.url, "grpc", { token: TEAM_A.token }));
    const names: string[] = [];
    for await (const response of reflection.serverReflectionInfo(request())) {
      if (response.messageResponse.case === "listServicesResponse") {
        names.push(...response.messageResponse.value.service.map((service) => service.name));
      }
    }
    expect(names).toContain("seatbelt.v1.SessionService");
  });

  test("server info describes the caller's access only", async () => {
    const info = await teamA.getServerInfo();

    expect(info.tokensRequired).toBe(true);
    expect(info.tls).toBe(false);
    expect(info.clientCertificatesRequired).toBe(false);
    expect(info.tenant).toBe("team-a");
    expect(info.tenantMaxSessions).toBe(2);
    expect((await teamB.getServerInfo()).tenantMaxSessions).toBe(TENANT_DEFAULT_MAX_SESSIONS);
    expect(JSON.stringify(info, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value))).not.toContain("team-b");
  });

  test("log lines name the tenant, never the token", async () => {
    await teamB.listSessions();
    await rejectionOf(createSeatbeltClient({ baseUrl: server.url, token: "wrong-token-5678" }).listSessions());

    const rpcLines = logLines.filter((line) => line.procedure === "seatbelt.v1.SessionService/ListSessions");
    expect(rpcLines.some((line) => line.tenant === "team-b" && line.code === "ok")).toBe(true);
    const rejected = rpcLines.find((line) => line.code === "unauthenticated");
    expect(rejected).toBeDefined();
    expect(rejected!.tenant).toBeUndefined();
    const everything = JSON.stringify(logLines);
    expect(everything).not.toContain(TEAM_A.token);
    expect(everything).not.toContain(TEAM_B.token);
    expect(everything).not.toContain("wrong-token-5678");
  });
});

describe("token tools", () => {
  test("README grpcurl block sends the token", async () => {
    const mine = await teamA.createSession();
    try {
      const script = readReadmeExample("grpcurl-token").replaceAll(README_ADDRESS, new URL(server.url).host);
      const run = await execa("bash", ["-euo", "pipefail", "-c", script], { env: { ...getToolsEnv(), SEATBELT_TOKEN: TEAM_A.token }, reject: false });

      expect(run.stderr).toBe("");
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("seatbelt.v1.SessionService.ListSessions");
      expect(run.stdout).toContain(mine.id);
    } finally {
      await mine.close();
    }
  });

  test("token create makes a token that the server accepts", async () => {
    const run = await execa("node", [SERVER_MAIN, "token", "create", "made"]);
    const token = /^token: (\S+)$/m.exec(run.stdout)![1]!;
    const entry = JSON.parse(/^tenants file entry: (.*)$/m.exec(run.stdout)![1]!) as unknown;
    const dir = await mkdtemp(join(tmpdir(), "seatbelt-tenants-"));
    const tenantsFile = join(dir, "tenants.json");
    await writeFile(tenantsFile, JSON.stringify({ tenants: [entry] }));

    const generatedServer = await startTestServer({ tenantsFile, warmPoolSize: 0 });
    try {
      expect((await createSeatbeltClient({ baseUrl: generatedServer.url, token }).getServerInfo()).tenant).toBe("made");
      expect(await readFile(tenantsFile, "utf8")).not.toContain(token);
    } finally {
      await generatedServer.close();
    }
  });
});

describe("tenant isolation", () => {
  test("other tenant's session is not found like a missing one", async () => {
    const session = await teamA.createSession();
    const id = session.id;
    const calls = {
      get: () => teamB.getSessionInfo(id),
      delete: () => teamB.deleteSession(id),
      restart: () => teamB.sessions.restartSession({ sessionId: id }),
      execute: async () => {
        for await (const _ of teamB.executions.execute({ sessionId: id, task: { case: "python", value: { code: "1" } } })) {
          // Only the error matters.
        }
      },
    };
    const whileOwned: Record<string, string> = {};
    for (const [name, call] of Object.entries(calls)) {
      const error = await rejectionOf(call());
      expect(error.code, name).toBe(Code.NotFound);
      whileOwned[name] = error.message;
    }
    expect((await teamA.getSessionInfo(id)).sessionId).toBe(id);
    expect(await teamB.listSessions()).toEqual([]);

    await session.close();
    for (const [name, call] of Object.entries(calls)) {
      const error = await rejectionOf(call());
      expect(error.code, name).toBe(Code.NotFound);
      expect(error.message, name).toBe(whileOwned[name]);
    }
  });

  test("other tenant's execution is not found like a missing one", async () => {
    const session = await teamA.createSession();
    try {
      const stream = teamA.executions.execute({ sessionId: session.id, task: { case: "python", value: { code: "import time\ntime.sleep(60)" } }, detach: true, keepStdinOpen: true });
      const first = await stream[Symbol.asyncIterator]().next();
      const executionId = (first.value as { executionId: string }).executionId;
      const unknownId = `${executionId.slice(0, -1)}${executionId.endsWith("x") ? "y" : "x"}`;
      const calls = (target: string) => ({
        streamOutput: async () => {
          for await (const _ of teamB.executions.streamOutput({ executionId: target })) {
            // Only the error matters.
          }
        },
        cancel: () => teamB.cancelExecution(target),
        sendInput: () => teamB.executions.sendInput({ executionId: target, data: new TextEncoder().encode("x") }),
      });

      for (const [name, call] of Object.entries(calls(executionId))) {
        const owned = await rejectionOf(call());
        const missing = await rejectionOf(calls(unknownId)[name as keyof ReturnType<typeof calls>]());
        expect(owned.code, name).toBe(Code.NotFound);
        expect(owned.message.replace(executionId, "ID"), name).toBe(missing.message.replace(unknownId, "ID"));
      }
      expect(await teamA.cancelExecution(executionId)).toBe(true);
    } finally {
      await session.close();
    }
  });

  test("each tenant lists only its own sessions", async () => {
    const mine = await teamA.createSession();
    const theirs = await teamB.createSession();
    try {
      expect((await teamA.listSessions()).map((session) => session.sessionId)).toEqual([mine.id]);
      expect((await teamB.listSessions()).map((session) => session.sessionId)).toEqual([theirs.id]);
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  test("tenant's session limit is its own", async () => {
    const sessions = [await teamA.createSession(), await teamA.createSession()];
    try {
      const error = await rejectionOf(teamA.createSession());
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(error.rawMessage).toContain("tenant team-a already has its maximum of 2 sessions");

      const other = await teamB.createSession();
      await other.close();
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
  });

  test("pooled session belongs to the tenant that takes it", async () => {
    await server.warmPool!.waitUntilFull();
    const session = await teamB.createSession();
    try {
      expect(session.info.fromWarmPool).toBe(true);
      expect(await teamA.listSessions()).toEqual([]);
      expect((await rejectionOf(teamA.getSessionInfo(session.id))).code).toBe(Code.NotFound);
    } finally {
      await session.close();
    }
  });
});

describe("start-up checks", () => {
  test("open host without authentication fails before binding", async () => {
    const stateDir = await mkdtemp(join(tmpdir(), "seatbelt-guard-"));

    await expect(startTestServer({ host: "0.0.0.0", stateDir })).rejects.toThrow("listening on 0.0.0.0 without authentication is not allowed");
    expect(await readdir(stateDir)).toEqual([]);
  });

  test("malformed tenants file stops the start", async () => {
    const dir = await mkdtemp(join(tmpdir(), "seatbelt-tenants-"));
    const path = join(dir, "tenants.json");
    await writeFile(path, JSON.stringify({ tenants: [{ name: "a", token_sha256: "plaintext-token" }] }));

    await expect(startTestServer({ tenantsFile: path, stateDir: dir })).rejects.toThrow(`tenants file ${path}: tenants[0].token_sha256 must be 64 lowercase hex digits`);
  });

  test("duplicate token hash stops the start", async () => {
    const path = await writeTenantsFile([TEAM_A, { name: "copy", token: TEAM_A.token }]);

    await expect(startTestServer({ tenantsFile: path })).rejects.toThrow("tenants[1].token_sha256 is the same as an earlier tenant's");
  });
});
