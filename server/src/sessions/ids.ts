import { randomBytes } from "node:crypto";

declare const brand: unique symbol;
type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** Identifier of a session, such as "ses_4dq0BvXl3uXr1mMa". */
export type SessionId = Brand<string, "SessionId">;
/** Identifier of an execution, such as "exe_Vb3kQ2WnZp0aLr7c". */
export type ExecutionId = Brand<string, "ExecutionId">;

function createId(prefix: string): string {
  // 96 random bits: unguessable, so one caller cannot reach another's
  // executions by counting.
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}

export function createSessionId(): SessionId {
  return createId("ses") as SessionId;
}

export function createExecutionId(): ExecutionId {
  return createId("exe") as ExecutionId;
}
