import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { TENANT_KEY } from "../auth/tenant.js";
import type { CreateSessionRequest, SessionService } from "../gen/seatbelt/v1/session_pb.js";
import { type ProfilePolicy, resolveProfileSettings } from "../profiles/resolve-request.js";
import type { BubblewrapBackend } from "../sandbox/bubblewrap/backend.js";
import { LimitReachedError, SessionNotReadyError, ShuttingDownError } from "../sessions/errors.js";
import { ProfileRejectedError } from "../sandbox/bubblewrap/compile.js";
import { SbplError } from "../sbpl/reader.js";
import type { NewSessionOptions, SessionRegistry } from "../sessions/registry.js";
import type { Session } from "../sessions/session.js";
import { toSessionMessage } from "./convert.js";
import { type SessionPolicy, validateCreateSession } from "./validate.js";
import { requireSessionId } from "./session-id.js";

/**
 * Returns the caller's session, or throws INVALID_ARGUMENT for an empty id
 * and NOT_FOUND for an unknown one. Another tenant's session gets the very
 * same NOT_FOUND, so its existence does not leak.
 */
export function requireSession(registry: SessionRegistry, id: string, context: HandlerContext): Session {
  const session = registry.get(requireSessionId(id), context.values.get(TENANT_KEY).name);
  if (session === undefined) {
    throw sessionNotFound(id);
  }
  return session;
}

function sessionNotFound(id: string): ConnectError {
  return new ConnectError(`session ${JSON.stringify(id)} not found; it may have been deleted`, Code.NotFound);
}

/**
 * Maps a refusal of the registry or of the profile to its code; other errors
 * mean the sandbox failed to start.
 */
export function toConnectError(error: unknown): ConnectError {
  if (error instanceof ConnectError) {
    return error;
  }
  if (error instanceof SbplError) {
    return new ConnectError(`invalid profile: ${error.message}`, Code.InvalidArgument, undefined, undefined, error);
  }
  if (error instanceof ProfileRejectedError) {
    return new ConnectError(error.message, Code.FailedPrecondition, undefined, undefined, error);
  }
  if (error instanceof LimitReachedError) {
    return new ConnectError(error.message, Code.ResourceExhausted);
  }
  if (error instanceof SessionNotReadyError) {
    return new ConnectError(error.message, Code.FailedPrecondition);
  }
  if (error instanceof ShuttingDownError) {
    return new ConnectError(error.message, Code.Unavailable);
  }
  return new ConnectError(`sandbox failed to start: ${(error as Error).message}`, Code.Unavailable, undefined, undefined, error);
}

/**
 * Validates a CreateSessionRequest and resolves its profile into the
 * options of a new session.
 * @throws ConnectError for an invalid or unsupported request; SbplError for an invalid profile.
 */
export async function resolveNewSessionOptions(request: CreateSessionRequest, policy: SessionPolicy & ProfilePolicy): Promise<NewSessionOptions> {
  const options = validateCreateSession(request, policy);
  const { profile, pythonEnv } = await resolveProfileSettings(options.profile, policy);
  return { env: options.env, profile, pythonEnv, outputBytes: options.outputBytes, safety: options.safety, limits: options.limits };
}

/** Handlers of seatbelt.v1.SessionService. */
export function createSessionService(registry: SessionRegistry, backend: BubblewrapBackend, policy: SessionPolicy & ProfilePolicy): ServiceImpl<typeof SessionService> {
  return {
    async createSession(request, context) {
      const options = validateCreateSession(request, policy);
      if (!backend.status.available) {
        throw new ConnectError(`no sandbox backend works on this host, so no code can run: ${backend.status.reason}`, Code.FailedPrecondition);
      }
      let session: Session;
      try {
        session = await registry.create(await resolveNewSessionOptions(request, policy), context.values.get(TENANT_KEY));
      } catch (error) {
        throw toConnectError(error);
      }
      return { session: toSessionMessage(session) };
    },
    getSession(request, context) {
      return { session: toSessionMessage(requireSession(registry, request.sessionId, context)) };
    },
    listSessions(_request, context) {
      return { sessions: registry.list(context.values.get(TENANT_KEY).name).map(toSessionMessage) };
    },
    async deleteSession(request, context) {
      // Checked first, so that only the owner can delete; the delete itself
      // still returns undefined when an expiry or another call won the race.
      const session = await registry.delete(requireSession(registry, request.sessionId, context).id);
      if (session === undefined) {
        throw sessionNotFound(request.sessionId);
      }
      return { session: toSessionMessage(session) };
    },
    async restartSession(request, context) {
      const session = requireSession(registry, request.sessionId, context);
      try {
        registry.assertOpen();
        await session.restart(request.clearWorkspace);
      } catch (error) {
        throw toConnectError(error);
      }
      return { session: toSessionMessage(session) };
    },
  };
}
