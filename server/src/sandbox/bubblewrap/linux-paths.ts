import { posix } from "node:path";
import { isSubpath } from "../../sbpl/decide.js";

/** Top-level paths that exist only on macOS; rules about them have nothing to act on here. */
export const MACOS_ONLY_PATHS = ["/System", "/Library", "/Applications", "/Volumes", "/Network", "/cores", "/private/var/folders", "/private/var/db"] as const;

/** Result of carrying one macOS path over to Linux. */
export type MappedPath =
  | { readonly kind: "same"; readonly paths: readonly [string] }
  | { readonly kind: "mapped"; readonly paths: readonly string[]; readonly reason: string }
  | { readonly kind: "dropped"; readonly reason: string };

/** Normalizes an absolute path: no `.` or `..` parts, no repeated or trailing slash. */
export function normalizePath(path: string): string {
  const normalized = posix.normalize(path);
  return normalized.length > 1 && normalized.endsWith("/") ? normalized.slice(0, -1) : normalized;
}

/**
 * Maps a path of a macOS profile to the Linux paths that mean the same:
 * /private/tmp and /private/var/tmp are the session's private temporary
 * directories, /private/etc is /etc, and /Users holds the home directories
 * (/home, and /root for the home of root).
 */
export function mapMacosPath(path: string): MappedPath {
  const normalized = normalizePath(path);
  const macosOnly = MACOS_ONLY_PATHS.find((root) => isSubpath(normalized, root));
  if (macosOnly !== undefined) {
    return { kind: "dropped", reason: `${macosOnly} exists only on macOS, so the filter was dropped` };
  }
  if (normalized === "/Users") {
    return { kind: "mapped", paths: ["/home", "/root"], reason: "/Users maps to the Linux home directories /home and /root" };
  }
  if (isSubpath(normalized, "/Users")) {
    const linuxPath = `/home${normalized.slice("/Users".length)}`;
    return { kind: "mapped", paths: [linuxPath], reason: `${normalized} maps to ${linuxPath}` };
  }
  if (normalized !== "/private" && isSubpath(normalized, "/private")) {
    const linuxPath = normalized.slice("/private".length);
    const where = linuxPath === "/tmp" || linuxPath === "/var/tmp" ? `${linuxPath}, the session's private temporary directory` : linuxPath;
    return { kind: "mapped", paths: [linuxPath], reason: `${normalized} maps to ${where}` };
  }
  return { kind: "same", paths: [normalized] };
}
