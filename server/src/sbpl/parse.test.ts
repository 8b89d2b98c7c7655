import { describe, expect, test } from "vitest";
import { MAX_PATH_FILTERS, parseSbpl } from "./parse.js";
import { MAX_NESTING_DEPTH, SbplError, readSbpl } from "./reader.js";

const PARAMETERS = { WORKSPACE: "/srv/workspace", TMPDIR: "/tmp", HOME: "/srv/workspace", PYTHON_ENV: "/usr" };

/** Parses text and returns the SbplError it throws; any other outcome fails the test. */
function catchSbplError(text: string): SbplError {
  try {
    parseSbpl(text, PARAMETERS);
  } catch (error) {
    if (error instanceof SbplError) {
      return error;
    }
    throw error;
  }
  throw new Error("expected an SbplError, but the profile parsed");
}

describe("readSbpl", () => {
  test("comments skipped", () => {
    const nodes = readSbpl('; line comment\n#| block\ncomment |#\n(version 1) ; trailing\n');

    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ kind: "list", position: { line: 4, column: 1 } });
  });

  test("string escapes decoded", () => {
    const [node] = readSbpl('"a\\"b\\\\c\\n"');

    expect(node).toMatchObject({ kind: "string", value: 'a"b\\c\n', regex: false });
  });

  test("regex literal keeps backslashes", () => {
    const [node] = readSbpl('#"^/dev/tty\\.[a-z]+$"');

    expect(node).toMatchObject({ kind: "string", value: "^/dev/tty\\.[a-z]+$", regex: true });
  });

  test("nesting beyond the limit rejected", () => {
    const deepest = "(".repeat(MAX_NESTING_DEPTH) + ")".repeat(MAX_NESTING_DEPTH);
    const tooDeep = "(".repeat(50_000) + ")".repeat(50_000);

    expect(readSbpl(deepest)).toHaveLength(1);
    expect(() => readSbpl(tooDeep)).toThrow(SbplError);
    expect(() => readSbpl(tooDeep)).toThrow(`line 1, column ${MAX_NESTING_DEPTH + 1}: lists are nested more than ${MAX_NESTING_DEPTH} deep`);
  });

  test("atoms read as symbols, numbers and booleans", () => {
    const nodes = readSbpl("file-read* 1 #t #f");

    expect(nodes.map((node) => node.kind)).toEqual(["symbol", "number", "boolean", "boolean"]);
  });
});

describe("parseSbpl", () => {
  test("reference-style rules parsed", () => {
    const profile = parseSbpl(
      ['(version 1)', "(deny default)", '(allow file-read* file-write*', '  (subpath (param "WORKSPACE"))', '  (literal "/dev/null"))', "(allow signal (target self))"].join("\n"),
      PARAMETERS,
    );

    expect(profile.rules).toHaveLength(3);
    expect(profile.rules[1]).toMatchObject({
      action: "allow",
      operations: ["file-read*", "file-write*"],
      filter: { kind: "require-any", filters: [{ kind: "subpath", path: "/srv/workspace" }, { kind: "literal", path: "/dev/null" }] },
      position: { line: 3, column: 1 },
    });
    expect(profile.rules[1]!.text).toBe('(allow file-read* file-write* (subpath (param "WORKSPACE")) (literal "/dev/null"))');
    expect(profile.rules[2]!.filter).toEqual({ kind: "other", name: "target", text: "self" });
  });

  test("string-append joins parameters and literals", () => {
    const profile = parseSbpl('(allow file-read* (subpath (string-append (param "HOME") "/data")))', PARAMETERS);

    expect(profile.rules[0]!.filter).toEqual({ kind: "subpath", path: "/srv/workspace/data" });
  });

  test("nested require filters parsed", () => {
    const profile = parseSbpl('(deny file-write* (require-all (subpath "/a") (require-not (literal "/a/b")) (require-any (prefix "/a/c") (regex #"^/a/d"))))', PARAMETERS);

    expect(profile.rules[0]!.filter).toEqual({
      kind: "require-all",
      filters: [
        { kind: "subpath", path: "/a" },
        { kind: "require-not", filter: { kind: "literal", path: "/a/b" } },
        { kind: "require-any", filters: [{ kind: "prefix", path: "/a/c" }, { kind: "regex", pattern: "^/a/d" }] },
      ],
    });
  });

  test("path filters capped", () => {
    const filters = Array.from({ length: MAX_PATH_FILTERS + 1 }, (_, index) => `(literal "/f${index}")`).join("\n");

    const error = catchSbplError(`(allow file-read*\n${filters})`);

    expect(error.position).toEqual({ line: MAX_PATH_FILTERS + 2, column: 2 });
    expect(error.reason).toBe(`the profile has more than ${MAX_PATH_FILTERS} path filters`);
  });

  test("debug form ignored", () => {
    expect(parseSbpl("(version 1)\n(debug deny)", PARAMETERS).rules).toEqual([]);
  });

  test.each([
    { name: "unclosed parenthesis", text: "(version 1)\n(allow file-read*\n", line: 2, column: 1, fragment: '"(" is never closed' },
    { name: "extra closing parenthesis", text: "(version 1))", line: 1, column: 12, fragment: '")" without a matching "("' },
    { name: "unknown operation", text: "(version 1)\n(allow file-reed*)", line: 2, column: 8, fragment: 'unknown operation "file-reed*"' },
    { name: "unknown filter", text: '(allow file-read* (subdir "/usr"))', line: 1, column: 20, fragment: 'unknown filter "subdir"' },
    { name: "relative path", text: '(allow file-read* (subpath "usr"))', line: 1, column: 28, fragment: "needs an absolute path" },
    { name: "filter with two paths", text: '(allow file-read* (subpath "/a" "/b"))', line: 1, column: 19, fragment: "subpath takes one string" },
    { name: "undefined parameter", text: '(allow file-read* (subpath (param "NOPE")))', line: 1, column: 28, fragment: 'parameter "NOPE" is not defined' },
    { name: "unknown escape", text: '(allow file-read* (literal "/a\\q"))', line: 1, column: 31, fragment: 'unknown string escape "\\q"' },
    { name: "unclosed string", text: '(allow file-read* (literal "/a))', line: 1, column: 28, fragment: "string is never closed" },
    { name: "unclosed block comment", text: "#| never\n(version 1)", line: 1, column: 1, fragment: '"#|" is never closed' },
    { name: "wrong version", text: "(version 2)", line: 1, column: 10, fragment: "only (version 1) exists" },
    { name: "unknown form", text: '(import "bsd.sb")', line: 1, column: 2, fragment: 'unknown form "import"' },
    { name: "rule without operation", text: "(allow)", line: 1, column: 1, fragment: "(allow) names no operation" },
    { name: "default with filter", text: '(deny default (subpath "/"))', line: 1, column: 1, fragment: "takes no filter" },
    { name: "invalid regex", text: '(deny file-read* (regex #"(unclosed"))', line: 1, column: 25, fragment: "invalid regex" },
    { name: "bare word at top level", text: "allow", line: 1, column: 1, fragment: "expected a form" },
  ])("$name reports line and column", ({ text, line, column, fragment }) => {
    const error = catchSbplError(text);

    expect(error.position).toEqual({ line, column });
    expect(error.message).toContain(`line ${line}, column ${column}: `);
    expect(error.reason).toContain(fragment);
  });
});
