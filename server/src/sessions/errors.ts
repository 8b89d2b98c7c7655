/** A request rejected because a configured limit of the server was reached; the message names the limit. */
export class LimitReachedError extends Error {}

/** A request rejected because the server is shutting down. */
export class ShuttingDownError extends Error {}

/** A request that the session cannot serve in its current state. */
export class SessionNotReadyError extends Error {}
