/** Position of a character in profile text; both count from 1. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** One parsed S-expression of SBPL, with the position where it starts. */
export type SbplNode =
  | { readonly kind: "list"; readonly items: readonly SbplNode[]; readonly position: SourcePosition; readonly end: number; readonly start: number }
  | { readonly kind: "symbol"; readonly name: string; readonly position: SourcePosition }
  | { readonly kind: "string"; readonly value: string; readonly regex: boolean; readonly position: SourcePosition }
  | { readonly kind: "number"; readonly value: number; readonly position: SourcePosition }
  | { readonly kind: "boolean"; readonly value: boolean; readonly position: SourcePosition };

/** A profile that cannot be read or understood, with the position of the problem. */
export class SbplError extends Error {
  constructor(
    readonly reason: string,
    readonly position: SourcePosition,
  ) {
    super(`line ${position.line}, column ${position.column}: ${reason}`);
    this.name = "SbplError";
  }
}

const STRING_ESCAPES: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "0": "\0" };

/**
 * Deepest nesting of lists that a profile may have. Real profiles nest a
 * few levels (a rule, require-any, require-all). The reader and the
 * evaluator recurse once per level, so a deeper profile would otherwise
 * exhaust the stack. @default 64
 */
export const MAX_NESTING_DEPTH = 64;

/** Characters that end a symbol or a number. */
const DELIMITERS = /[\s()";]/;

/** Reads SBPL text into S-expressions; comments (`;` to end of line, `#| |#`) are skipped. */
export function readSbpl(text: string): SbplNode[] {
  return new SbplReader(text).readAll();
}

class SbplReader {
  private offset = 0;
  private line = 1;
  private column = 1;

  constructor(private readonly text: string) {}

  readAll(): SbplNode[] {
    const nodes: SbplNode[] = [];
    for (;;) {
      this.skipSpaceAndComments();
      if (this.offset >= this.text.length) {
        return nodes;
      }
      if (this.peek() === ")") {
        throw new SbplError('unbalanced parentheses: ")" without a matching "("', this.position());
      }
      nodes.push(this.readNode(1));
    }
  }

  private position(): SourcePosition {
    return { line: this.line, column: this.column };
  }

  private peek(): string {
    return this.text[this.offset] ?? "";
  }

  private advance(): string {
    const character = this.text[this.offset++] ?? "";
    if (character === "\n") {
      this.line++;
      this.column = 1;
    } else {
      this.column++;
    }
    return character;
  }

  private skipSpaceAndComments(): void {
    while (this.offset < this.text.length) {
      const character = this.peek();
      if (/\s/.test(character)) {
        this.advance();
      } else if (character === ";") {
        while (this.offset < this.text.length && this.peek() !== "\n") {
          this.advance();
        }
      } else if (this.text.startsWith("#|", this.offset)) {
        const start = this.position();
        const close = this.text.indexOf("|#", this.offset + 2);
        if (close === -1) {
          throw new SbplError('block comment "#|" is never closed with "|#"', start);
        }
        while (this.offset < close + 2) {
          this.advance();
        }
      } else {
        return;
      }
    }
  }

  private readNode(depth: number): SbplNode {
    const character = this.peek();
    if (character === "(") {
      return this.readList(depth);
    }
    if (character === '"') {
      return this.readString(false);
    }
    if (this.text.startsWith('#"', this.offset)) {
      const position = this.position();
      this.advance();
      return { ...this.readString(true), position };
    }
    return this.readAtom();
  }

  private readList(depth: number): SbplNode {
    const position = this.position();
    if (depth > MAX_NESTING_DEPTH) {
      throw new SbplError(`lists are nested more than ${MAX_NESTING_DEPTH} deep`, position);
    }
    const start = this.offset;
    this.advance();
    const items: SbplNode[] = [];
    for (;;) {
      this.skipSpaceAndComments();
      if (this.offset >= this.text.length) {
        throw new SbplError('unbalanced parentheses: "(" is never closed', position);
      }
      if (this.peek() === ")") {
        this.advance();
        return { kind: "list", items, position, start, end: this.offset };
      }
      items.push(this.readNode(depth + 1));
    }
  }

  /** Reads a string; a regex literal (#"...") keeps its backslashes for the regex engine. */
  private readString(regex: boolean): SbplNode & { kind: "string" } {
    const position = this.position();
    this.advance();
    let value = "";
    for (;;) {
      if (this.offset >= this.text.length) {
        throw new SbplError("string is never closed with a double quote", position);
      }
      const characterPosition = this.position();
      const character = this.advance();
      if (character === '"') {
        return { kind: "string", value, regex, position };
      }
      if (character !== "\\") {
        value += character;
        continue;
      }
      const escaped = this.advance();
      if (regex) {
        value += escaped === '"' ? '"' : `\\${escaped}`;
      } else if (escaped in STRING_ESCAPES) {
        value += STRING_ESCAPES[escaped];
      } else {
        throw new SbplError(`unknown string escape "\\${escaped}"`, characterPosition);
      }
    }
  }

  private readAtom(): SbplNode {
    const position = this.position();
    let word = "";
    while (this.offset < this.text.length && !DELIMITERS.test(this.peek())) {
      word += this.advance();
    }
    if (word === "") {
      throw new SbplError(`unexpected character ${JSON.stringify(this.peek())}`, position);
    }
    if (word === "#t" || word === "#f") {
      return { kind: "boolean", value: word === "#t", position };
    }
    if (/^-?\d+$/.test(word)) {
      return { kind: "number", value: Number(word), position };
    }
    return { kind: "symbol", name: word, position };
  }
}
