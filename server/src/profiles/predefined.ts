import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The repository's profiles/ folder, three levels above src/profiles/ and dist/profiles/. */
export const PREDEFINED_PROFILES_DIR = fileURLToPath(new URL("../../../profiles/", import.meta.url));

/** Names of the predefined profiles, each a file `<name>.sb` in PREDEFINED_PROFILES_DIR. */
export const PREDEFINED_PROFILE_NAMES = ["default", "network", "read-only", "strict"] as const;

/** Name of the profile that sessions get when they name none. */
export const DEFAULT_PROFILE_NAME = "default";

export interface ProfileDescription {
  readonly name: string;
  readonly description: string;
}

/** Returns true for the name of a predefined profile. */
export function isPredefinedProfile(name: string): boolean {
  return (PREDEFINED_PROFILE_NAMES as readonly string[]).includes(name);
}

/** Returns the text of the comment that opens a profile file, without the semicolons. */
export function readLeadingComment(text: string): string {
  const lines: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*;+\s?(.*)$/.exec(line);
    if (match === null) {
      break;
    }
    const words = match[1]!.trim();
    if (words !== "") {
      lines.push(words);
    }
  }
  return lines.join(" ");
}

/** Reads the SBPL text of a predefined profile; the name must be one of PREDEFINED_PROFILE_NAMES. */
export async function readPredefinedProfile(name: string): Promise<string> {
  if (!isPredefinedProfile(name)) {
    throw new Error(`${JSON.stringify(name)} is not a predefined profile`);
  }
  return readFile(`${PREDEFINED_PROFILES_DIR}${name}.sb`, "utf8");
}

/** Describes each predefined profile from the comment at the top of its file. */
export async function describeProfiles(): Promise<ProfileDescription[]> {
  return Promise.all(PREDEFINED_PROFILE_NAMES.map(async (name) => ({ name, description: readLeadingComment(await readPredefinedProfile(name)) })));
}
