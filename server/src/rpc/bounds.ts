import { Code, ConnectError } from "@connectrpc/connect";

/**
 * Maximum length of a session_id or execution_id. Real ids have 16 characters
 * after their prefix; the cap keeps a huge id out of error messages and logs.
 * @default 128
 */
export const MAX_ID_BYTES = 128;
/** Maximum length of a path in a request, Linux's PATH_MAX. @default 4096 */
export const MAX_PATH_BYTES = 4096;
/** Maximum length of a predefined profile name, checked before the lookup. @default 64 */
export const MAX_PROFILE_NAME_BYTES = 64;
/** Maximum number of words in a shell task's argv. @default 4096 */
export const MAX_ARGV_ENTRIES = 4096;

/**
 * Throws INVALID_ARGUMENT naming the field and the limit when a text is
 * longer than `maxBytes` in UTF-8. The text itself is not echoed, so an
 * oversized value cannot bloat the error or the log.
 */
export function assertMaxBytes(text: string, maxBytes: number, field: string): void {
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new ConnectError(`${field} has ${bytes} bytes; the maximum is ${maxBytes}`, Code.InvalidArgument);
  }
}

/** Throws INVALID_ARGUMENT naming the field and the limit when a list has more than `maxEntries` entries. */
export function assertMaxEntries(list: readonly unknown[], maxEntries: number, field: string): void {
  if (list.length > maxEntries) {
    throw new ConnectError(`${field} has ${list.length} entries; the maximum is ${maxEntries}`, Code.InvalidArgument);
  }
}
