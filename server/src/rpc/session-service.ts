import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { SessionService } from "../gen/seatbelt/v1/session_pb.js";
import type { BubblewrapBackend } from "../sandbox/bubblewrap/backend.js";
import type { SessionRegistry } from "../sessions/registry.js";
import type { Session } from "../sessions/session.js";
import { toSessionMessage } from "./convert.js";
import { validateCreateSession } from "./validate.js";

/** Returns the session or throws NOT_FOUND. */
export function requireSession(registry: SessionRegistry, id: string): Session {
  const session = registry.get(id);
  if (session === undefined) {
    throw new ConnectError(`session ${JSON.stringify(id)} not found; it may have been deleted`, Code.NotFound);
  }
  return session;
}

/** Handlers of seatbelt.v1.SessionService. */
export function createSessionService(registry: SessionRegistry, backend: BubblewrapBackend): ServiceImpl<typeof SessionService> {
  return {
    async createSession(request) {
      const options = validateCreateSession(request);
      if (!backend.status.available) {
        throw new ConnectError(`no sandbox backend works on this host, so no code can run: ${backend.status.reason}`, Code.FailedPrecondition);
      }
      let session: Session;
      try {
        session = await registry.create(options);
      } catch (error) {
        throw new ConnectError(`sandbox failed to start: ${(error as Error).message}`, Code.Unavailable, undefined, undefined, error);
      }
      return { session: toSessionMessage(session) };
    },

    getSession(request) {
      return { session: toSessionMessage(requireSession(registry, request.sessionId)) };
    },

    listSessions() {
      return { sessions: registry.list().map(toSessionMessage) };
    },

    async deleteSession(request) {
      const session = await registry.delete(request.sessionId);
      if (session === undefined) {
        throw new ConnectError(`session ${JSON.stringify(request.sessionId)} not found; it may have been deleted`, Code.NotFound);
      }
      return { session: toSessionMessage(session) };
    },
  };
}
