import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import type { Logger } from "pino";
import { TENANT_KEY } from "../auth/tenant.js";
import { recordRpc, recordStreamedBytes } from "./metrics.js";

/** Header that carries a caller's request id; the server makes one when it is missing. */
export const REQUEST_ID_HEADER = "x-request-id";
/** Maximum length of a request id taken from a caller. A longer one is replaced. @default 128 */
const MAX_REQUEST_ID_LENGTH = 128;

/** Ids found in the messages of one RPC. */
export interface RpcIds {
  sessionId?: string;
  executionId?: string;
}

/**
 * Copies `sessionId` and `executionId` fields from a message, and from the
 * messages and oneof values it contains, into `ids`, keeping the first seen.
 * It reads field names only, so new RPCs are covered without changes here.
 */
export function collectIds(message: unknown, ids: RpcIds, depth = 0): void {
  if (typeof message !== "object" || message === null || depth > 3 || message instanceof Uint8Array || Array.isArray(message)) {
    return;
  }
  const fields = message as Record<string, unknown>;
  for (const key of ["sessionId", "executionId"] as const) {
    const value = fields[key];
    if (typeof value === "string" && value !== "" && ids[key] === undefined) {
      ids[key] = value;
    }
  }
  for (const value of Object.values(fields)) {
    collectIds(value, ids, depth + 1);
  }
}

/** Counts the bytes of an output event, whatever message carries it. */
function countOutput(message: unknown): void {
  const event = (message as { event?: { case?: string; value?: { stream?: number; content?: { case?: string; value?: unknown } } } }).event;
  if (event?.case !== "output" || event.value?.content === undefined) {
    return;
  }
  const { content, stream } = event.value;
  let bytes = 0;
  if (typeof content.value === "string") {
    bytes = Buffer.byteLength(content.value);
  } else if (content.value instanceof Uint8Array) {
    bytes = content.value.length;
  }
  // OutputStream.STDERR is 2 in seatbelt.v1.
  recordStreamedBytes(stream === 2 ? "stderr" : "stdout", bytes);
}

async function* observe<T>(messages: AsyncIterable<T>, onMessage: (message: T) => void): AsyncGenerator<T> {
  for await (const message of messages) {
    onMessage(message);
    yield message;
  }
}

function codeName(code: Code | undefined): string {
  return code === undefined ? "ok" : Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/**
 * Creates a server interceptor that writes one JSON log line per RPC when it
 * ends, with its request id, procedure, tenant, status code, duration and
 * the session and execution ids its messages carry, and counts RPCs and streamed
 * output bytes in the metrics. The request id is sent back in the response
 * header x-request-id.
 */
export function createRpcInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const given = request.header.get(REQUEST_ID_HEADER);
    const requestId = given !== null && given !== "" && given.length <= MAX_REQUEST_ID_LENGTH ? given : randomUUID();
    const procedure = `${request.service.typeName}/${request.method.name}`;
    const ids: RpcIds = {};
    let messagesSent = 0;

    const finish = (error: unknown) => {
      const code = error === undefined ? undefined : ConnectError.from(error).code;
      recordRpc(procedure, codeName(code));
      // A caller whose token was rejected has no tenant; the default would name the anonymous one.
      const tenant = code === Code.Unauthenticated ? undefined : request.contextValues.get(TENANT_KEY).name;
      const fields = { requestId, procedure, tenant, code: codeName(code), durationMs: Math.round(performance.now() - started), ...ids, ...(request.stream ? { messagesSent } : {}) };
      if (code === undefined || code === Code.Canceled) {
        logger.info(fields, "rpc finished");
      } else if (code === Code.Internal || code === Code.Unknown || code === Code.DataLoss) {
        logger.error({ ...fields, err: error }, "rpc failed");
      } else {
        logger.info({ ...fields, message: ConnectError.from(error).rawMessage }, "rpc failed");
      }
    };

    if (request.stream) {
      request = { ...request, message: observe(request.message, (message) => collectIds(message, ids)) };
    } else {
      collectIds(request.message, ids);
    }

    let response;
    try {
      response = await next(request);
    } catch (error) {
      finish(error);
      throw error;
    }
    response.header.set(REQUEST_ID_HEADER, requestId);
    if (!response.stream) {
      collectIds(response.message, ids);
      finish(undefined);
      return response;
    }
    return { ...response, message: followStream(response, ids, () => messagesSent++, (error) => finish(error ?? (request.signal.aborted ? new ConnectError("caller went away", Code.Canceled) : undefined))) } satisfies StreamResponse;
  };
}

async function* followStream(response: StreamResponse, ids: RpcIds, onSent: () => void, finish: (error: unknown) => void): AsyncGenerator<StreamResponse["message"] extends AsyncIterable<infer T> ? T : never> {
  let failure: unknown;
  try {
    for await (const message of response.message) {
      collectIds(message, ids);
      countOutput(message);
      onSent();
      yield message;
    }
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    finish(failure);
  }
}
