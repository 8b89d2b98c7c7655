import { lstat, readFile, realpath } from "node:fs/promises";
import { basename, isAbsolute, normalize } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { isSubpath } from "../sbpl/decide.js";
import { readPredefinedProfile } from "./predefined.js";

/** Largest profile file or text accepted. @default 256 KiB */
export const MAX_PROFILE_BYTES = 256 * 1024;

/** Where a session's profile comes from, as the request named it. */
export type ProfileSource =
  | { readonly kind: "name"; readonly name: string }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "path"; readonly path: string };

/** The text of a session's profile and the name that the session reports. */
export interface LoadedProfile {
  readonly name: string;
  readonly text: string;
}

/**
 * Loads a profile's text. A path must lie inside one of the profile
 * directories both as written (after `..` is resolved) and after every
 * symbolic link is followed; errors name only the path that was asked for,
 * never anything read from another file.
 */
export async function loadProfile(source: ProfileSource, profileDirs: readonly string[]): Promise<LoadedProfile> {
  switch (source.kind) {
    case "name":
      return { name: source.name, text: await readPredefinedProfile(source.name) };
    case "text":
      return { name: "custom", text: source.text };
    case "path":
      return { name: basename(source.path), text: await readProfileFile(source.path, profileDirs) };
  }
}

async function readProfileFile(path: string, profileDirs: readonly string[]): Promise<string> {
  const shown = JSON.stringify(path);
  if (!isAbsolute(path)) {
    throw new ConnectError(`seatbelt_profile_path ${shown} must be an absolute path`, Code.InvalidArgument);
  }
  const dirs = await Promise.all(profileDirs.map((dir) => realpath(dir).catch(() => undefined)));
  const allowed = dirs.filter((dir): dir is string => dir !== undefined);
  const outside = new ConnectError(`seatbelt_profile_path ${shown} is outside the server's profile directories`, Code.PermissionDenied);
  if (!allowed.some((dir) => isSubpath(normalize(path), dir) || profileDirs.some((configured) => isSubpath(normalize(path), configured)))) {
    throw outside;
  }

  const resolved = await realpath(path).catch(() => undefined);
  if (resolved === undefined) {
    throw new ConnectError(`seatbelt_profile_path ${shown} not found`, Code.NotFound);
  }
  if (!allowed.some((dir) => isSubpath(resolved, dir))) {
    throw outside;
  }
  const stats = await lstat(resolved);
  if (!stats.isFile()) {
    throw new ConnectError(`seatbelt_profile_path ${shown} is not a regular file`, Code.InvalidArgument);
  }
  if (stats.size > MAX_PROFILE_BYTES) {
    throw new ConnectError(`seatbelt_profile_path ${shown} is larger than ${MAX_PROFILE_BYTES} bytes`, Code.InvalidArgument);
  }
  return readFile(resolved, "utf8");
}
