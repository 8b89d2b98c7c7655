import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Error of a Seatbelt call: the status code, the server's message, and a
 * hint that says what to change. The original ConnectError is the cause.
 */
export class SeatbeltError extends Error {
  override name = "SeatbeltError";

  constructor(
    message: string,
    /** Status code of the call. */
    readonly code: Code,
    /** What the caller can change to succeed. */
    readonly hint: string,
    /** Message from the server, without the code prefix. */
    readonly rawMessage: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The session or execution does not exist (any more). */
export class NotFoundError extends SeatbeltError {
  override name = "NotFoundError";
}
/** A resource limit or a server limit was reached. */
export class LimitReachedError extends SeatbeltError {
  override name = "LimitReachedError";
}
/** A safety setting rejected the code or command. */
export class RejectedBySafetyError extends SeatbeltError {
  override name = "RejectedBySafetyError";
}
/** No sandbox could be started, or the server could not be reached. */
export class SandboxUnavailableError extends SeatbeltError {
  override name = "SandboxUnavailableError";
}
/** The request has an invalid or missing value. */
export class InvalidRequestError extends SeatbeltError {
  override name = "InvalidRequestError";
}
/** The session is not in a state that allows the call, for example it has failed. */
export class FailedPreconditionError extends SeatbeltError {
  override name = "FailedPreconditionError";
}
/** The server does not support a requested setting. */
export class UnsupportedError extends SeatbeltError {
  override name = "UnsupportedError";
}
/** The call's timeout passed before the server answered. */
export class CallTimeoutError extends SeatbeltError {
  override name = "CallTimeoutError";
}
/** The caller aborted the call. */
export class CallAbortedError extends SeatbeltError {
  override name = "CallAbortedError";
}
/** The server failed in a way the caller cannot fix. */
export class ServerError extends SeatbeltError {
  override name = "ServerError";
}

type ErrorClass = new (message: string, code: Code, hint: string, rawMessage: string, options?: ErrorOptions) => SeatbeltError;

/** Every status code, with the class it maps to and a hint on what to change. */
export const ERROR_TABLE: Readonly<Record<Code, { readonly errorClass: ErrorClass; readonly hint: string }>> = {
  [Code.Canceled]: { errorClass: CallAbortedError, hint: "the call was aborted by its AbortSignal or the connection closed; retry if it was not meant" },
  [Code.Unknown]: { errorClass: ServerError, hint: "the server failed unexpectedly; its log has the details" },
  [Code.InvalidArgument]: { errorClass: InvalidRequestError, hint: "fix the request value that the message names" },
  [Code.DeadlineExceeded]: { errorClass: CallTimeoutError, hint: "raise the call's timeoutMs, or check that the server is not overloaded" },
  [Code.NotFound]: { errorClass: NotFoundError, hint: "the session or execution was deleted or expired; create a new session, or list the live ones with listSessions()" },
  [Code.AlreadyExists]: { errorClass: InvalidRequestError, hint: "use a name or id that is not taken" },
  [Code.PermissionDenied]: { errorClass: RejectedBySafetyError, hint: "a safety setting rejected the code; change the code, or the session's safety settings if the code is trusted" },
  [Code.ResourceExhausted]: { errorClass: LimitReachedError, hint: "a limit was reached; delete idle sessions, lower the request's size, or raise the limit in the session's settings or the server's configuration" },
  [Code.FailedPrecondition]: { errorClass: FailedPreconditionError, hint: "the session or server is not in a state for this call; delete a failed session and create a new one, or check GetServerInfo for the sandbox backend" },
  [Code.Aborted]: { errorClass: ServerError, hint: "the call conflicted with another; retry it" },
  [Code.OutOfRange]: { errorClass: InvalidRequestError, hint: "use a value inside the range that the message names" },
  [Code.Unimplemented]: { errorClass: UnsupportedError, hint: "this server version does not support the setting or RPC; leave it unset or upgrade the server" },
  [Code.Internal]: { errorClass: ServerError, hint: "the server failed; its log has the details" },
  [Code.Unavailable]: { errorClass: SandboxUnavailableError, hint: "the server is unreachable or could not start a sandbox; check the address, that the server runs, and GetServerInfo's backend status" },
  [Code.DataLoss]: { errorClass: ServerError, hint: "data was lost on the server; its log has the details" },
  [Code.Unauthenticated]: { errorClass: InvalidRequestError, hint: "send the credentials that the server or its proxy expects" },
};

/** Converts any error of a call into the SeatbeltError subclass of its code; other SeatbeltErrors pass through. */
export function toSeatbeltError(error: unknown): SeatbeltError {
  if (error instanceof SeatbeltError) {
    return error;
  }
  const connectError = ConnectError.from(error);
  const { errorClass, hint } = ERROR_TABLE[connectError.code];
  return new errorClass(`${connectError.rawMessage} (${hint})`, connectError.code, hint, connectError.rawMessage, { cause: connectError });
}
