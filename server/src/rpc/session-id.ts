import { Code, ConnectError } from "@connectrpc/connect";
import { MAX_ID_BYTES, assertMaxBytes } from "./bounds.js";

/**
 * Returns a request's session_id, or throws INVALID_ARGUMENT when it is
 * empty or too long: such an id is a malformed request, not a session that
 * is gone.
 */
export function requireSessionId(id: string): string {
  if (id === "") {
    throw new ConnectError("session_id is missing", Code.InvalidArgument);
  }
  assertMaxBytes(id, MAX_ID_BYTES, "session_id");
  return id;
}

/** Returns a request's execution_id, or throws INVALID_ARGUMENT when it is empty or too long. */
export function requireExecutionId(id: string): string {
  if (id === "") {
    throw new ConnectError("execution_id is missing", Code.InvalidArgument);
  }
  assertMaxBytes(id, MAX_ID_BYTES, "execution_id");
  return id;
}
