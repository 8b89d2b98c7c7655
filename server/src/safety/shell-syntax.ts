import { createRequire } from "node:module";

/** A position in shell text, as mvdan/sh reports it. */
export interface ShellPosition {
  Line(): number;
  Col(): number;
  Offset(): number;
  IsValid(): boolean;
}

/**
 * A node of mvdan/sh's syntax tree (https://pkg.go.dev/mvdan.cc/sh/v3/syntax).
 * Fields are read by name after checking the node's type with getNodeType,
 * so they are typed loosely here.
 */
export interface ShellNode {
  Pos(): ShellPosition;
  End(): ShellPosition;
  readonly [field: string]: unknown;
}

interface SyntaxModule {
  NewParser(...options: unknown[]): { Parse(text: string, name: string): ShellNode };
  Variant(variant: unknown): unknown;
  LangPOSIX: unknown;
  LangBash: unknown;
  NodeType(node: unknown): string;
  Walk(node: unknown, visit: (node: unknown) => boolean): void;
}

/** Grammar to parse with: /bin/sh (dash on Debian) is a POSIX shell. */
export type ShellDialect = "posix" | "bash";

/** A parse failure, with its position in the text. */
export class ShellSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

let syntax: SyntaxModule | undefined;

// mvdan-sh is mvdan/sh compiled to JavaScript with GopherJS. It is loaded on
// the first check, so that a server whose sessions check no shell command
// never pays for loading it.
function loadSyntax(): SyntaxModule {
  syntax ??= (createRequire(import.meta.url)("mvdan-sh") as { syntax: SyntaxModule }).syntax;
  return syntax;
}

/** Returns the type name of a node, such as "CallExpr". */
export function getNodeType(node: unknown): string {
  return loadSyntax().NodeType(node);
}

/** Calls visit for node and its descendants; visit returns false to skip a node's children. */
export function walkShellNode(node: unknown, visit: (node: ShellNode, type: string) => boolean): void {
  const module = loadSyntax();
  module.Walk(node, (child) => child === null || child === undefined || visit(child as ShellNode, module.NodeType(child)));
}

/**
 * Parses shell text into a syntax tree.
 * @throws ShellSyntaxError when the text is not valid in the dialect.
 */
export function parseShell(text: string, dialect: ShellDialect): ShellNode {
  const module = loadSyntax();
  const parser = module.NewParser(module.Variant(dialect === "posix" ? module.LangPOSIX : module.LangBash));
  try {
    return parser.Parse(text, "");
  } catch (error) {
    const failure = error as { Error?: () => string; Pos?: ShellPosition; Text?: string };
    const message = typeof failure.Error === "function" ? failure.Error() : String(error);
    throw new ShellSyntaxError(message, failure.Pos?.Line() ?? 0, failure.Pos?.Col() ?? 0);
  }
}
