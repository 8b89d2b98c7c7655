import { ConnectError } from "@connectrpc/connect";

/** Runs action and returns the ConnectError it throws; fails when it throws nothing or something else. */
export function catchConnectError(action: () => unknown): ConnectError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConnectError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected a ConnectError, but the call returned normally");
}

/** Awaits promise and returns its rejection as a ConnectError; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  throw new Error("expected the call to fail");
}
