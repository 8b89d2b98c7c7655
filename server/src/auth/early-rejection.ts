import type http from "node:http";
import type http2 from "node:http2";
import { ConnectError } from "@connectrpc/connect";
import { UNAUTHENTICATED_SERVICES, authenticate } from "./authenticate.js";
import type { TenantDirectory } from "./tenants-file.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;
type Handler = (request: Request, response: Response) => void;

/** Percent-encodes a grpc-message value: every byte outside printable ASCII, and "%". */
function encodeGrpcMessage(message: string): string {
  return [...Buffer.from(message, "utf8")].map((byte) => (byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}` : String.fromCharCode(byte))).join("");
}

/** The parts of an UNAUTHENTICATED response in one protocol: status, headers and body. */
interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Builds an UNAUTHENTICATED error response in the protocol that the request's
 * content type names. gRPC and gRPC-Web get a trailers-only response, Connect
 * streams an end-of-stream message, and Connect unary calls (and anything
 * else) HTTP 401 with the JSON error.
 */
export function buildUnauthenticatedResponse(contentType: string, message: string): ErrorResponse {
  if (/^application\/grpc(-web(-text)?)?([+;]|$)/.test(contentType)) {
    return { status: 200, headers: { "content-type": contentType, "grpc-status": "16", "grpc-message": encodeGrpcMessage(message) }, body: Buffer.alloc(0) };
  }
  const error = { code: "unauthenticated", message };
  if (/^application\/connect\+/.test(contentType)) {
    const json = Buffer.from(JSON.stringify({ error }));
    const prefix = Buffer.alloc(5);
    // Flag 2 marks the envelope as the stream's end message.
    prefix.writeUInt8(2, 0);
    prefix.writeUInt32BE(json.length, 1);
    return { status: 200, headers: { "content-type": contentType }, body: Buffer.concat([prefix, json]) };
  }
  return { status: 401, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(error)) };
}

/** Maximum length of the procedure that a rejection logs; the path comes from the caller, so it is cut. */
const MAX_PROCEDURE_LENGTH = 200;

/** Returns a request's procedure, such as "grpc.health.v1.Health/Check" for the path "/grpc.health.v1.Health/Check?x". */
function procedureOf(url: string | undefined): string {
  return (url ?? "").split("?")[0]!.slice(1, 1 + MAX_PROCEDURE_LENGTH);
}

/**
 * Wraps the RPC handler so that a request without a valid bearer token is
 * rejected before its body is read. connect-node reads a unary call's whole
 * message (up to the server's read limit) before interceptors run, so
 * without this, callers with no token could fill the server's memory with
 * large requests that are rejected only afterwards. The interceptor still
 * checks every request and hands the tenant to the handlers.
 */
export function rejectUnauthenticatedEarly(handler: Handler, tenants: TenantDirectory, onReject: (procedure: string, message: string) => void): Handler {
  return (request, response) => {
    const procedure = procedureOf(request.url);
    if (UNAUTHENTICATED_SERVICES.has(procedure.split("/")[0]!)) {
      handler(request, response);
      return;
    }
    try {
      authenticate(request.headers.authorization ?? null, tenants);
    } catch (error) {
      const message = ConnectError.from(error).rawMessage;
      onReject(procedure, message);
      const reply = buildUnauthenticatedResponse(request.headers["content-type"] ?? "", message);
      // The body is dropped as it arrives, never kept, so that HTTP/2 flow
      // control keeps moving for the connection's other streams.
      request.resume();
      response.writeHead(reply.status, reply.headers);
      response.end(reply.body);
      return;
    }
    handler(request, response);
  };
}
