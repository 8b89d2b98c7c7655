import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { SUPPORTED_PROFILES } from "./rpc/validate.js";

/** The repository's profiles/ folder, two levels above src/ and dist/. */
const PROFILES_DIR = fileURLToPath(new URL("../../profiles/", import.meta.url));

export interface ProfileDescription {
  readonly name: string;
  readonly description: string;
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

/** Describes each predefined profile from the comment at the top of its file. */
export async function describeProfiles(): Promise<ProfileDescription[]> {
  return Promise.all(
    SUPPORTED_PROFILES.map(async (name) => ({
      name,
      description: readLeadingComment(await readFile(`${PROFILES_DIR}${name}.sb`, "utf8")),
    })),
  );
}
