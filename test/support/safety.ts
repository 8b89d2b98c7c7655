import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CreateSessionOptions, type ExecutionOutcome, type SeatbeltClient, type SeatbeltSession } from "../../client/src/index.js";

/** Safety settings of a session, as CreateSessionRequest takes them. */
export type SafetyInit = NonNullable<CreateSessionOptions["safety"]>;

/** Creates a session with the safety settings, runs action with it and deletes it. */
export async function withSafetySession<T>(client: SeatbeltClient, safety: SafetyInit | undefined, action: (session: SeatbeltSession) => Promise<T>): Promise<T> {
  const session = await client.createSession(safety === undefined ? {} : { safety });
  try {
    return await action(session);
  } finally {
    await session.close().catch(() => {});
  }
}

/** Tells whether a file of that name exists in the session's workspace, seen from the host. */
export function existsInWorkspace(session: SeatbeltSession, name: string): boolean {
  return existsSync(join(session.info.workspaceDir, name));
}

/** Describes an outcome for assertion messages. */
export function describeOutcome(outcome: ExecutionOutcome): string {
  return JSON.stringify({ status: outcome.status, message: outcome.result.message, stdout: outcome.stdout, error: outcome.error?.value });
}
