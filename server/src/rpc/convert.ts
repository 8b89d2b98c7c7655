import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Session as SessionMessage, SessionSchema } from "../gen/seatbelt/v1/session_pb.js";
import type { Session } from "../sessions/session.js";
import { describeResources } from "./resources.js";

/** Describes a session as the API returns it. */
export function toSessionMessage(session: Session): SessionMessage {
  return create(SessionSchema, {
    sessionId: session.id,
    state: session.state,
    createdAt: timestampFromDate(session.createdAt),
    workspaceDir: session.options.workspaceDir,
    backend: "bubblewrap",
    executionCount: BigInt(session.executionCount),
    interpreterRestarts: session.interpreterRestarts,
    profileNotes: session.options.prepared.notes.map((note) => ({ line: note.line, column: note.column, rule: note.rule, message: note.message })),
    network: session.options.prepared.network,
    profileName: session.options.profileName,
    lateOutputBytes: BigInt(session.lateOutputBytes),
    pythonVersion: session.pythonVersion,
    sessionRestarts: session.sessionRestarts,
    queuedExecutions: session.queuedCount,
    lastActiveAt: timestampFromDate(new Date(session.lastActiveAt)),
    expiresAt: timestampFromDate(session.expiresAt),
    ...describeResources(session.options.confinement, session.options.outputBytes),
    fromWarmPool: session.fromWarmPool,
  });
}
