import { toSeatbeltError } from "./errors.js";

/** Runs a unary call and converts its error into a SeatbeltError subclass. */
export async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toSeatbeltError(error);
  }
}
