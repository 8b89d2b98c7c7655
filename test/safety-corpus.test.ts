import { ExecutionStatus } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { describeOutcome, withSafetySession } from "./support/safety.js";

// Ordinary code that every check must leave alone. Each cell runs with its
// imports restricted to what it uses, no dangerous built-in allowed and the
// obfuscation check on.
const CORPUS: ReadonlyArray<{ name: string; imports: string[]; code: string; stdout: string }> = [
  {
    name: "data analysis with numpy",
    imports: ["numpy"],
    code: [
      "import numpy as np",
      "data = np.array([[1.0, 2.0], [3.0, 4.0]])",
      "print(data.mean(axis=0), np.linalg.norm(data[0] - data[1]).round(3), data.T @ data)",
      "print(np.arange(6).reshape(2, 3).sum(), np.std([1, 2, 3, 4, 5]))",
    ].join("\n"),
    stdout: "[2. 3.] 2.828 [[10. 14.]\n [14. 20.]]\n15 1.4142135623730951\n",
  },
  {
    name: "string formatting",
    imports: [],
    code: [
      "x = 3.14159",
      "names = ['ada', 'grace']",
      "print('{:.2f}'.format(x), '{name}!'.format(name='hi'), f'{x:.1f} {names[0]!r}', '%s-%d' % ('a', 1))",
      "print(', '.join(names), '-'.join(str(n) for n in range(3)), 'abc'.upper()[::-1])",
    ].join("\n"),
    stdout: "3.14 hi! 3.1 'ada' a-1\nada, grace 0-1-2 CBA\n",
  },
  {
    name: "threads and queues joined",
    imports: ["threading", "queue"],
    code: [
      "import threading, queue",
      "q = queue.Queue()",
      "results = []",
      "def worker():",
      "    while True:",
      "        item = q.get()",
      "        results.append(item * 2)",
      "        q.task_done()",
      "t = threading.Thread(target=worker, daemon=True)",
      "t.start()",
      "for item in range(3):",
      "    q.put(item)",
      "q.join()",
      "done = threading.Thread(target=lambda: None)",
      "done.start(); done.join()",
      "print(sorted(results))",
    ].join("\n"),
    stdout: "[0, 2, 4]\n",
  },
  {
    name: "comprehensions, classes and decorators",
    imports: ["functools", "dataclasses", "collections"],
    code: [
      "import functools",
      "from dataclasses import dataclass, field",
      "from collections import Counter, defaultdict",
      "def logged(fn):",
      "    @functools.wraps(fn)",
      "    def wrapper(*args, **kwargs):",
      "        return fn(*args, **kwargs)",
      "    return wrapper",
      "@dataclass",
      "class Point:",
      "    x: int",
      "    y: int = 0",
      "    tags: list = field(default_factory=list)",
      "    def __add__(self, other):",
      "        return Point(self.x + other.x, self.y + other.y)",
      "class Named(Point):",
      "    def __init__(self, name, *args):",
      "        super().__init__(*args)",
      "        self.name = name",
      "    def __repr__(self):",
      "        return f'{type(self).__name__}({self.name})'",
      "@logged",
      "def total(points):",
      "    return sum((p for p in points), Point(0))",
      "squares = {n: n * n for n in range(4) if n % 2 == 0}",
      "groups = defaultdict(list)",
      "for word in ['apple', 'avocado', 'banana']:",
      "    groups[word[0]].append(word)",
      "print(total([Point(1, 2), Point(3, 4)]).x, squares, dict(groups), Counter('abca').most_common(1), Named('n', 1))",
      "print(total.__name__, Point.__doc__ is not None)",
    ].join("\n"),
    stdout: "4 {0: 0, 2: 4} {'a': ['apple', 'avocado'], 'b': ['banana']} [('a', 2)] Named(n)\ntotal True\n",
  },
  {
    name: "structural pattern matching",
    imports: ["dataclasses"],
    code: [
      "from dataclasses import dataclass",
      "@dataclass",
      "class Move:",
      "    x: int",
      "    y: int = 0",
      "class Quit:",
      "    __match_args__ = ('code',)",
      "    def __init__(self, code):",
      "        self.code = code",
      "def describe(command):",
      "    match command:",
      "        case Move(x=0, y=0):",
      "            return 'stay'",
      "        case Move(dx, dy) if dx > 0:",
      "            return f'right {dx} {dy}'",
      "        case Quit(code) | {'quit': code}:",
      "            return f'quit {code}'",
      "        case [first, *rest]:",
      "            return f'{first}+{len(rest)}'",
      "        case str() as text:",
      "            return text.upper()",
      "        case _:",
      "            return 'unknown'",
      "print(describe(Move(0)), describe(Move(2, 1)), describe(Quit(3)), describe({'quit': 4}), describe([1, 2, 3]), describe('go'))",
    ].join("\n"),
    stdout: "stay right 2 1 quit 3 quit 4 1+2 GO\n",
  },
  {
    name: "async code",
    imports: ["asyncio"],
    code: [
      "import asyncio",
      "async def double(n):",
      "    await asyncio.sleep(0)",
      "    return n * 2",
      "async def main():",
      "    return await asyncio.gather(*(double(n) for n in range(3)))",
      "print(await main())",
    ].join("\n"),
    stdout: "[0, 2, 4]\n",
  },
  {
    name: "json, re, math and dates",
    imports: ["json", "re", "math", "datetime", "time"],
    code: [
      "import json, re, math, time",
      "from datetime import datetime",
      "record = json.loads(json.dumps({'a': [1, 2]}))",
      "print(record, re.findall(r'\\d+', 'a1b22'), math.sqrt(16), datetime.strptime('2024-01-02', '%Y-%m-%d').day)",
      "print(time.strptime('2020', '%Y').tm_year, 'é'.encode('cp1252'), sorted(['b', 'a'], key=lambda s: s))",
    ].join("\n"),
    stdout: "{'a': [1, 2]} ['1', '22'] 4.0 2\n2020 b'\\xe9' ['a', 'b']\n",
  },
];

describe("ordinary code under every check", () => {
  test.for(CORPUS)("$name runs untouched", async ({ imports, code, stdout }, { client }) => {
    const safety = { authorizedImports: { values: imports }, authorizedFunctions: { values: [] }, checkStringObfuscation: true };
    await withSafetySession(client, safety, async (session) => {
      const outcome = await session.runPython(code);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.OK);
      expect(outcome.stdout).toBe(stdout);
    });
  });

  test("session without settings loads no check", async ({ client }) => {
    await withSafetySession(client, undefined, async (session) => {
      const outcome = await session.runPython("import sys, builtins\nprint([name for name in sys.modules if 'safety' in name], builtins.exec.__module__)");

      expect(outcome.stdout).toBe("[] builtins\n");
    });
  });

  test("session with settings loads the checks", async ({ client }) => {
    await withSafetySession(client, { checkStringObfuscation: true }, async (session) => {
      const outcome = await session.runPython("'seatbelt_runtime.safety.guard' in __import__('sys').modules");

      expect(outcome.value).toBe("True");
    });
  });
});
