import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Error of a Seatbelt call: a ConnectError, so `code`, `rawMessage` (the
 * server's message) and `metadata` work as usual, with a hint on what to
 * change at the end of `message`. The original error is the cause.
 * Its `name` stays "ConnectError", because ConnectError.from and
 * `instanceof ConnectError` recognise errors by that name; the class tells
 * the kinds apart.
 */
export class SeatbeltError extends ConnectError {
  /**
   * Restores the usual prototype test, which ConnectError replaces with a
   * test of the name that every subclass would pass.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && Object.prototype.isPrototypeOf.call(this.prototype, value);
  }

  /** Change that would make the call succeed. */
  readonly hint: string;

  constructor(original: ConnectError, hint: string) {
    super(original.rawMessage, original.code, original.metadata, undefined, original);
    this.details = original.details;
    this.hint = hint;
    this.message = `${this.message} (${hint})`;
  }
}

/** The session, execution, profile or path named does not exist (any more). */
export class NotFoundError extends SeatbeltError {
}
/** A resource limit or a server limit was reached. */
export class LimitReachedError extends SeatbeltError {
}
/**
 * The server does not allow a path or setting of the request, such as a
 * profile outside its profile directories. Code that a safety setting
 * refuses is not an error: its execution ends with status REJECTED.
 */
export class PermissionDeniedError extends SeatbeltError {
}
/** The server could not be reached, is shutting down, or could not start a sandbox. */
export class UnavailableError extends SeatbeltError {
}
/** The request has an invalid or missing value. */
export class InvalidRequestError extends SeatbeltError {
}
/** The server requires a bearer token, and the call sent none or one that no tenant has. */
export class AuthenticationError extends SeatbeltError {
}
/**
 * The call does not fit the state of the session, execution or server, or
 * the session's profile: for example the session has failed, the execution
 * has finished, or the profile forbids shell commands.
 */
export class FailedPreconditionError extends SeatbeltError {
}
/** The server does not support a requested setting. */
export class UnsupportedError extends SeatbeltError {
}
/** The call timed out before the server responded. */
export class CallTimeoutError extends SeatbeltError {
}
/** The caller aborted the call. */
export class CallAbortedError extends SeatbeltError {
}
/** The server failed in a way the caller cannot fix. */
export class ServerError extends SeatbeltError {
}

type ErrorClass = new (original: ConnectError, hint: string) => SeatbeltError;

/** Every status code, with the class it maps to and a hint on what to change. */
export const ERROR_TABLE: Readonly<Record<Code, { readonly errorClass: ErrorClass; readonly hint: string }>> = {
  [Code.Canceled]: { errorClass: CallAbortedError, hint: "the call was aborted by its AbortSignal or the connection closed; retry if it was not meant" },
  [Code.Unknown]: { errorClass: ServerError, hint: "the server failed unexpectedly; its log has the details" },
  [Code.InvalidArgument]: { errorClass: InvalidRequestError, hint: "fix the request value that the message names" },
  [Code.DeadlineExceeded]: { errorClass: CallTimeoutError, hint: "raise the call's timeoutMs, or check that the server is not overloaded" },
  [Code.NotFound]: { errorClass: NotFoundError, hint: "the session, execution, profile or path named does not exist; sessions and executions end when deleted or expired, so list the live ones with listSessions() or create a new session, and check the spelling of a profile name or path" },
  [Code.AlreadyExists]: { errorClass: InvalidRequestError, hint: "use a name or id that is not taken" },
  [Code.PermissionDenied]: { errorClass: PermissionDeniedError, hint: "the server does not allow that path or setting; use one inside the configured profile directories or environment roots" },
  [Code.ResourceExhausted]: { errorClass: LimitReachedError, hint: "a limit was reached; delete idle sessions, lower the request's size, or raise the limit in the session's settings or the server's configuration" },
  [Code.FailedPrecondition]: { errorClass: FailedPreconditionError, hint: "the call does not fit the session's or server's state or profile; the message says which" },
  [Code.Aborted]: { errorClass: ServerError, hint: "the call conflicted with another; retry it" },
  [Code.OutOfRange]: { errorClass: InvalidRequestError, hint: "use a value inside the range that the message names" },
  [Code.Unimplemented]: { errorClass: UnsupportedError, hint: "this server version does not support the setting or RPC; leave it unset or upgrade the server" },
  [Code.Internal]: { errorClass: ServerError, hint: "the server failed; its log has the details" },
  [Code.Unavailable]: { errorClass: UnavailableError, hint: "the server is unreachable, shutting down, or could not start a sandbox; check the address and that the server runs, then retry" },
  [Code.DataLoss]: { errorClass: ServerError, hint: "data was lost on the server; its log has the details" },
  [Code.Unauthenticated]: { errorClass: AuthenticationError, hint: "send a valid bearer token with the client's token option (SEATBELT_TOKEN for the seatbelt CLI), or the credentials that a proxy in front of the server expects" },
};

/** Converts any error of a call into the SeatbeltError subclass of its code; other SeatbeltErrors pass through. */
export function toSeatbeltError(error: unknown): SeatbeltError {
  if (error instanceof SeatbeltError) {
    return error;
  }
  const connectError = ConnectError.from(error);
  const { errorClass, hint } = ERROR_TABLE[connectError.code];
  return new errorClass(connectError, hint);
}
