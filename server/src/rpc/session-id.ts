import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Returns a request's session_id, or throws INVALID_ARGUMENT when it is
 * empty: an empty id is a malformed request, not a session that is gone.
 */
export function requireSessionId(id: string): string {
  if (id === "") {
    throw new ConnectError("session_id is missing", Code.InvalidArgument);
  }
  return id;
}
