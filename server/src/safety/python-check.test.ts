import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { DEFAULT_PYTHON } from "../config.js";

const RUNTIME_DIR = fileURLToPath(new URL("../../runtime/", import.meta.url));

// Runs the static check of the sandbox's runtime on each cell, outside any
// sandbox: it only parses and walks syntax trees, so the rules can be tested
// quickly in bulk. End-to-end tests run the same checks in a real sandbox.
const HARNESS = `
import ast, json, sys
from seatbelt_runtime.safety.policy import Policy
from seatbelt_runtime.safety.refusal import Refusal
from seatbelt_runtime.safety.static_check import check_tree

request = json.load(sys.stdin)
policy = Policy(request["settings"])
results = []
for code in request["cells"]:
    try:
        check_tree(ast.parse(code), policy, {})
        results.append(None)
    except Refusal as refusal:
        results.append({"rule": refusal.rule, "name": refusal.name, "line": refusal.line, "column": refusal.column})
print(json.dumps(results))
`;

interface CheckResult {
  readonly rule: string;
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

async function checkCells(settings: object, cells: readonly string[]): Promise<Array<CheckResult | null>> {
  const { stdout } = await execa(DEFAULT_PYTHON, ["-c", HARNESS], { cwd: RUNTIME_DIR, input: JSON.stringify({ settings, cells }) });
  return JSON.parse(stdout) as Array<CheckResult | null>;
}

const STRICT = { authorizedImports: ["json", "math", "base64", "codecs", "operator", "string"], authorizedFunctions: [], checkStringObfuscation: true };

describe("Python static check", () => {
  test.each<{ code: string; rule: string; name: string }>([
    { code: "import os.path", rule: "import", name: "os.path" },
    { code: "import json, ctypes", rule: "import", name: "ctypes" },
    { code: "import json.decoder", rule: "import", name: "json.decoder" },
    { code: "from builtins import eval", rule: "import", name: "builtins" },
    { code: "x = input", rule: "function", name: "input" },
    { code: "breakpoint()", rule: "function", name: "breakpoint" },
    { code: "vars()", rule: "function", name: "vars" },
    { code: "f = lambda: 0\nf.__code__", rule: "introspection", name: "__code__" },
    { code: "import operator\noperator.attrgetter('__globals__')", rule: "introspection", name: "__globals__" },
    { code: "import operator\noperator.attrgetter('f.__self__')", rule: "introspection", name: "__self__" },
    { code: "'{0.__init__.__globals__}'.format(1)", rule: "introspection", name: "__globals__" },
    { code: "'{x:{y.__class__.__bases__}}'.format(x=1, y=2)", rule: "introspection", name: "__bases__" },
    { code: "('{0.__' + 'dict__}').format(1)", rule: "obfuscation", name: "str.format()" },
    { code: "import codecs\ngetattr(math, codecs.decode('cv', 'rot13'))", rule: "obfuscation", name: "getattr()" },
    { code: "name = chr(111) + chr(115)\nx = name\nsetattr(json, x, 1)", rule: "obfuscation", name: "setattr()" },
    { code: "hasattr(json, 'x'[::-1])", rule: "obfuscation", name: "hasattr()" },
    { code: "delattr(json, f'{1}')", rule: "obfuscation", name: "delattr()" },
    { code: "d = {}\nd['__builtins__']", rule: "introspection", name: "__builtins__" },
    { code: "t = (1).__class__.__subclasses__", rule: "introspection", name: "__subclasses__" },
    { code: "import json\njson.loads.__globals__", rule: "introspection", name: "__globals__" },
    { code: "def f():\n    yield 1\nf().gi_frame.f_globals", rule: "introspection", name: "gi_frame" },
    { code: "import json as j\nj.__spec__.loader", rule: "introspection", name: "__spec__" },
  ])("rejects $code", async ({ code, rule, name }) => {
    const [result] = await checkCells(STRICT, [code]);

    expect(result?.rule).toBe(rule);
    expect(result?.name).toBe(name);
    expect(result?.line).toBeGreaterThan(0);
  });

  test("ordinary code passes", async () => {
    const cells = [
      "names = ['a', 'b']\nprint(', '.join(names), '{:>4}'.format(3), f'{names!r:.3}')",
      "class A:\n    def __init__(self):\n        super().__init__()\n    def __repr__(self):\n        return type(self).__name__",
      "import math\nvalues = [math.sqrt(v) for v in range(4) if v]\nprint(sum(values) / len(values))",
      "import json\ntext = json.dumps({'k': 1}, indent=2)\nprint(text.replace(' ', ''), json.__name__)",
      "import string\nprint(string.Template('$x').substitute(x=1), 'abc'.translate({97: 65}))",
      "def deco(fn):\n    return fn\n@deco\nasync def run():\n    return [x async for x in gen()]",
      "try:\n    1 / 0\nexcept ZeroDivisionError as error:\n    print(error.args)",
      "key = 'a' + 'b'\nrecord = {key: 1}\nprint(record[key], getattr(record, 'keys')())",
    ];

    expect(await checkCells(STRICT, cells)).toEqual(cells.map(() => null));
  });

  test("nothing restricted allows introspection", async () => {
    expect(await checkCells({ checkStringObfuscation: true }, ["().__class__.__mro__", "getattr(json, name)"])).toEqual([null, null]);
  });

  test("refusal reports line and column", async () => {
    const [result] = await checkCells(STRICT, ["x = 1\n\n  # comment\nif x:\n    import socket"]);

    expect(result).toEqual({ rule: "import", name: "socket", line: 5, column: 5 });
  });

  test("pkg.* allows submodules, not twins", async () => {
    const settings = { authorizedImports: ["json.*"] };
    const results = await checkCells(settings, ["import json", "import json.decoder", "from json import tool", "import jsonschema", "import _json"]);

    expect(results.map((result) => result?.name ?? null)).toEqual([null, null, null, "jsonschema", "_json"]);
  });
});
