import { type Logger, destination, pino } from "pino";

/** Creates the server's JSON logger, which writes to stderr and never to stdout. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "seatbelt" } }, destination(2));
}
