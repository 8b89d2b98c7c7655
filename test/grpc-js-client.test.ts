import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { type ExecuteResponse, ExecutionStatusSchema, OutputStreamSchema } from "../client/src/index.js";
import type { SeatbeltServer } from "../server/src/server.js";
import { describe, expect, test } from "./support/fixtures.js";

const PROTO_DIR = fileURLToPath(new URL("../proto", import.meta.url));

/**
 * Python code that writes to stdout, stderr and stdout again, with pauses so
 * that each write arrives as its own chunk. print() is not used because it
 * writes the text and the newline separately, which may arrive as two chunks.
 */
const PAUSED_WRITES_CODE = [
  "import sys, time",
  'sys.stdout.write("first\\n")',
  "time.sleep(0.3)",
  'sys.stderr.write("warning\\n")',
  "time.sleep(0.3)",
  'sys.stdout.write("second\\n")',
].join("\n");

/** An execution's events with ids, sequence numbers and times left out. */
type NormalizedEvent =
  | { readonly event: "started" }
  | { readonly event: "output"; readonly stream: string; readonly text: string | undefined }
  | { readonly event: "result"; readonly status: string };

const EXPECTED_EVENTS: NormalizedEvent[] = [
  { event: "started" },
  { event: "output", stream: "OUTPUT_STREAM_STDOUT", text: "first\n" },
  { event: "output", stream: "OUTPUT_STREAM_STDERR", text: "warning\n" },
  { event: "output", stream: "OUTPUT_STREAM_STDOUT", text: "second\n" },
  { event: "result", status: "EXECUTION_STATUS_OK" },
];

/** Session as @grpc/proto-loader decodes it, with camelCase field names. */
interface WireSession {
  readonly sessionId: string;
  readonly workspaceDir: string;
}

/** ExecuteResponse as @grpc/proto-loader decodes it, with uint64 as a string, enums as names and the oneof case in `event`. */
interface WireExecuteResponse {
  readonly executionId: string;
  readonly seq: string;
  readonly event: "started" | "output" | "result";
  readonly started?: { readonly sessionId: string };
  readonly output?: { readonly stream: string; readonly content: "text" | "data"; readonly text?: string };
  readonly result?: { readonly status: string };
}

/** A wire event and when the client received it. */
interface TimedWireEvent {
  readonly receivedAtMs: number;
  readonly response: WireExecuteResponse;
}

type UnaryMethod = (request: object, callback: (error: grpc.ServiceError | null, response?: unknown) => void) => grpc.ClientUnaryCall;
type ServerStreamMethod = (request: object) => grpc.ClientReadableStream<WireExecuteResponse>;

/** Plain grpc-js clients of the Seatbelt services, built from the .proto files at run time. */
interface GrpcClients {
  readonly sessions: grpc.Client;
  readonly executions: grpc.Client;
  close(): void;
}

function createGrpcClients(server: SeatbeltServer): GrpcClients {
  const protoFiles = readdirSync(`${PROTO_DIR}/seatbelt/v1`)
    .filter((name) => name.endsWith(".proto"))
    .map((name) => `seatbelt/v1/${name}`);
  const definition = protoLoader.loadSync(protoFiles, { includeDirs: [PROTO_DIR], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  const seatbelt = grpc.loadPackageDefinition(definition).seatbelt as grpc.GrpcObject;
  const v1 = seatbelt.v1 as grpc.GrpcObject;
  const SessionService = v1.SessionService as grpc.ServiceClientConstructor;
  const ExecutionService = v1.ExecutionService as grpc.ServiceClientConstructor;

  const address = new URL(server.url).host;
  const credentials = grpc.credentials.createInsecure();
  const sessions = new SessionService(address, credentials);
  const executions = new ExecutionService(address, credentials);
  return {
    sessions,
    executions,
    close() {
      sessions.close();
      executions.close();
    },
  };
}

function callUnary<Response>(client: grpc.Client, method: string, request: object): Promise<Response> {
  const call = (client as unknown as Record<string, UnaryMethod>)[method]!.bind(client);
  return new Promise((resolve, reject) => {
    call(request, (error, response) => (error ? reject(error) : resolve(response as Response)));
  });
}

async function collectExecute(clients: GrpcClients, request: object): Promise<TimedWireEvent[]> {
  const execute = (clients.executions as unknown as Record<string, ServerStreamMethod>).Execute!.bind(clients.executions);
  const events: TimedWireEvent[] = [];
  for await (const response of execute(request)) {
    events.push({ receivedAtMs: performance.now(), response: response as WireExecuteResponse });
  }
  return events;
}

async function createWireSession(clients: GrpcClients): Promise<WireSession> {
  const { session } = await callUnary<{ session: WireSession }>(clients.sessions, "CreateSession", {});
  return session;
}

function normalizeWireEvent({ event, output, result }: WireExecuteResponse): NormalizedEvent {
  if (event === "output") {
    return { event, stream: output!.stream, text: output!.text };
  }
  if (event === "result") {
    return { event, status: result!.status };
  }
  return { event };
}

/** Maps a TypeScript-client event to the proto names that proto-loader uses, such as OUTPUT_STREAM_STDOUT. */
function normalizeEvent({ event }: ExecuteResponse): NormalizedEvent {
  if (event.case === "output") {
    const stream = OutputStreamSchema.values.find((value) => value.number === event.value.stream)!.name;
    return { event: "output", stream, text: event.value.content.case === "text" ? event.value.content.value : undefined };
  }
  if (event.case === "result") {
    return { event: "result", status: ExecutionStatusSchema.values.find((value) => value.number === event.value.status)!.name };
  }
  return { event: "started" };
}

async function expectGrpcCode(promise: Promise<unknown>, code: grpc.status): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown as grpc.ServiceError,
  );
  expect(error?.code).toBe(code);
}

describe("grpc-js client", () => {
  test("session lifecycle over grpc-js", async ({ server }) => {
    const clients = createGrpcClients(server);

    try {
      const session = await createWireSession(clients);
      const events = await collectExecute(clients, { sessionId: session.sessionId, python: { code: 'print("hello")' } });
      const { session: deleted } = await callUnary<{ session: WireSession }>(clients.sessions, "DeleteSession", { sessionId: session.sessionId });

      expect(session.sessionId).not.toBe("");
      expect(events.map(({ response }) => normalizeWireEvent(response))).toEqual([
        { event: "started" },
        { event: "output", stream: "OUTPUT_STREAM_STDOUT", text: "hello\n" },
        { event: "result", status: "EXECUTION_STATUS_OK" },
      ]);
      expect(deleted.sessionId).toBe(session.sessionId);
      await expectGrpcCode(callUnary(clients.sessions, "GetSession", { sessionId: session.sessionId }), grpc.status.NOT_FOUND);
    } finally {
      clients.close();
    }
  });

  test("events match the TypeScript client", async ({ server, session: typescriptSession }) => {
    const clients = createGrpcClients(server);

    try {
      const session = await createWireSession(clients);
      const events = await collectExecute(clients, { sessionId: session.sessionId, python: { code: PAUSED_WRITES_CODE } });
      await callUnary(clients.sessions, "DeleteSession", { sessionId: session.sessionId });
      const typescriptEvents: NormalizedEvent[] = [];
      for await (const response of typescriptSession.streamPython(PAUSED_WRITES_CODE)) {
        typescriptEvents.push(normalizeEvent(response));
      }

      const responses = events.map(({ response }) => response);
      expect(responses.map(normalizeWireEvent)).toEqual(EXPECTED_EVENTS);
      expect(typescriptEvents).toEqual(EXPECTED_EVENTS);
      expect(responses.map(({ seq }) => seq)).toEqual(["1", "2", "3", "4", "5"]);
      expect(new Set(responses.map(({ executionId }) => executionId)).size).toBe(1);
      expect(responses[0]?.started?.sessionId).toBe(session.sessionId);
    } finally {
      clients.close();
    }
  });

  test("output arrives before the result", async ({ server }) => {
    const clients = createGrpcClients(server);

    try {
      const session = await createWireSession(clients);
      const code = 'import sys, time\nsys.stdout.write("before\\n")\ntime.sleep(1)\nsys.stdout.write("after\\n")';
      const events = await collectExecute(clients, { sessionId: session.sessionId, python: { code } });
      await callUnary(clients.sessions, "DeleteSession", { sessionId: session.sessionId });

      const firstOutput = events.find(({ response }) => response.event === "output");
      const result = events.find(({ response }) => response.event === "result");
      expect(firstOutput?.response.output?.text).toBe("before\n");
      expect(result?.response.result?.status).toBe("EXECUTION_STATUS_OK");
      // The code sleeps one second between its writes. A 700 ms gap leaves
      // room for scheduling but fails if the server keeps output back until the end.
      expect(result!.receivedAtMs - firstOutput!.receivedAtMs).toBeGreaterThan(700);
    } finally {
      clients.close();
    }
  });

  test("unknown session fails with NOT_FOUND", async ({ server }) => {
    const clients = createGrpcClients(server);
    const unknown = { sessionId: "ses_does-not-exist" };

    try {
      await expectGrpcCode(callUnary(clients.sessions, "GetSession", unknown), grpc.status.NOT_FOUND);
      await expectGrpcCode(callUnary(clients.sessions, "DeleteSession", unknown), grpc.status.NOT_FOUND);
      await expectGrpcCode(collectExecute(clients, { ...unknown, python: { code: "print(1)" } }), grpc.status.NOT_FOUND);
    } finally {
      clients.close();
    }
  });
});
