/** Largest count accepted from one LATE_OUTPUT frame, which is far above a real one. */
const MAX_LATE_BYTES_PER_FRAME = 2 ** 32;

/** Parses a frame's JSON payload; undefined when it is not JSON. */
export function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Reads a byte count from a frame's JSON payload; 0 when it is missing or implausible. */
export function readCount(payload: Buffer, field: string): number {
  const value = (parseJson(payload) as Record<string, unknown> | undefined)?.[field];
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? Math.min(value, MAX_LATE_BYTES_PER_FRAME) : 0;
}
