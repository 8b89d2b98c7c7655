import { type ShellNode, getNodeType } from "./shell-syntax.js";
import type { Word } from "./shell-wrappers.js";

/** Returns a word's text after quote removal, or null when it is not a plain literal. */
export function readWord(word: ShellNode | null | undefined): Word {
  if (word === null || word === undefined) {
    return null;
  }
  let text = "";
  for (const part of word.Parts as ShellNode[]) {
    const type = getNodeType(part);
    if (type === "Lit" && String(part.Value).includes("$")) {
      // A bare $ before quotes is bash's $'...' or $"..." quoting, which
      // /bin/sh does not share.
      return null;
    } else if (type === "Lit") {
      // A backslash quotes the next character outside quotes.
      text += String(part.Value).replace(/\\(.)/gs, "$1").replace(/\\$/, "");
    } else if (type === "SglQuoted" && !part.Dollar) {
      text += String(part.Value);
    } else if (type === "DblQuoted") {
      const inner = (part.Parts as ShellNode[]).map((piece) => (getNodeType(piece) === "Lit" ? String(piece.Value).replace(/\\([$`"\\\n])/g, "$1") : null));
      if (inner.includes(null)) {
        return null;
      }
      text += inner.join("");
    } else {
      return null;
    }
  }
  return text;
}

/**
 * Tells whether a word begins with an unquoted pattern (`*.txt`, `?x`,
 * `[ab]*`), whose expansion may be a file name that starts with "-" and
 * so is read as an option.
 */
export function startsWithPattern(word: ShellNode | null | undefined): boolean {
  const first = (word?.Parts as ShellNode[] | undefined)?.[0];
  if (first === undefined || getNodeType(first) !== "Lit") {
    return false;
  }
  const text = String(first.Value);
  return text.startsWith("*") || text.startsWith("?") || /^\[.*\]/.test(text);
}
