import { ExecutionStatus, SafetyRule } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { type SafetyInit, describeOutcome, existsInWorkspace, withSafetySession } from "./support/safety.js";

const MARKER = "MARKER";
// Creates the marker file when the cell runs; pathlib is in every import
// list below, so the prelude itself passes every check.
const TOUCH_MARKER = `import pathlib; pathlib.Path("${MARKER}").touch()\n`;

/** Imports restricted, no dangerous built-in allowed, obfuscation checked. */
const STRICT: SafetyInit = {
  authorizedImports: { values: ["pathlib", "json", "base64", "math"] },
  authorizedFunctions: { values: [] },
  checkStringObfuscation: true,
};

/** Like STRICT, but exec, eval and __import__ allowed, so the obfuscation check is what rejects. */
const CODE_ALLOWED: SafetyInit = { ...STRICT, authorizedFunctions: { values: ["exec", "eval", "__import__"] } };

/** Only imports restricted: exec and eval allowed, no obfuscation check, so the runtime checks reject. */
const RUNTIME_ONLY: SafetyInit = { authorizedImports: { values: ["pathlib", "json", "pickle"] } };

interface RefusalCase {
  readonly code: string;
  readonly rule: SafetyRule;
  readonly name: string;
}

describe("Python safety settings", () => {
  test.for<RefusalCase>([
    { code: "import ctypes", rule: SafetyRule.IMPORT, name: "ctypes" },
    { code: "import _ctypes", rule: SafetyRule.IMPORT, name: "_ctypes" },
    { code: "from ctypes import util", rule: SafetyRule.IMPORT, name: "ctypes" },
    { code: "import cffi", rule: SafetyRule.IMPORT, name: "cffi" },
  ])("low-level import rejected before running: $code", async ({ code, rule, name }, { client }) => {
    await withSafetySession(client, { authorizedImports: { values: ["pathlib", "math"] } }, async (session) => {
      const outcome = await session.runPython(TOUCH_MARKER + code);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(rule);
      expect(outcome.result.refusal?.name).toBe(name);
      expect(outcome.result.refusal?.line).toBe(2);
      expect(outcome.result.message).toContain(`import of '${name}' is not allowed`);
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });

  test.for<RefusalCase & { settings: SafetyInit }>([
    { settings: STRICT, code: 'import importlib; importlib.import_module("subprocess")', rule: SafetyRule.IMPORT, name: "importlib" },
    { settings: STRICT, code: '__import__("o" + "s").system("id")', rule: SafetyRule.FUNCTION, name: "__import__" },
    { settings: STRICT, code: 'import socket as s; getattr(s, "socket")()', rule: SafetyRule.IMPORT, name: "socket" },
    { settings: STRICT, code: 'getattr(__builtins__, "op" + "en")("/etc/hostname")', rule: SafetyRule.OBFUSCATION, name: "getattr()" },
    { settings: STRICT, code: 'exec("imp" + "ort os")', rule: SafetyRule.FUNCTION, name: "exec" },
    { settings: STRICT, code: 'import base64; exec(base64.b64decode("aW1wb3J0IG9z").decode())', rule: SafetyRule.FUNCTION, name: "exec" },
    { settings: STRICT, code: 'import json; json.__builtins__["__import__"]("os")', rule: SafetyRule.INTROSPECTION, name: "__builtins__" },
    { settings: CODE_ALLOWED, code: '__import__("o" + "s").system("id")', rule: SafetyRule.OBFUSCATION, name: "__import__()" },
    { settings: CODE_ALLOWED, code: 'exec("imp" + "ort os")', rule: SafetyRule.OBFUSCATION, name: "exec()" },
    { settings: CODE_ALLOWED, code: 'import base64; exec(base64.b64decode("aW1wb3J0IG9z").decode())', rule: SafetyRule.OBFUSCATION, name: "exec()" },
    { settings: CODE_ALLOWED, code: 'm = "".join(["o", "s"]); __import__(m)', rule: SafetyRule.OBFUSCATION, name: "__import__()" },
    { settings: CODE_ALLOWED, code: 'getattr(pathlib, chr(95) * 2 + "builtins" + chr(95) * 2)', rule: SafetyRule.OBFUSCATION, name: "getattr()" },
    { settings: STRICT, code: "e = eval", rule: SafetyRule.FUNCTION, name: "eval" },
    { settings: STRICT, code: "().__class__.__mro__[1].__subclasses__()", rule: SafetyRule.INTROSPECTION, name: "__mro__" },
    { settings: STRICT, code: "(lambda: 0).__globals__", rule: SafetyRule.INTROSPECTION, name: "__globals__" },
    { settings: STRICT, code: "object.__getattribute__(1, 'real')", rule: SafetyRule.INTROSPECTION, name: "__getattribute__" },
    { settings: STRICT, code: "print(__loader__)", rule: SafetyRule.INTROSPECTION, name: "__loader__" },
    { settings: STRICT, code: "import math; math.__loader__.load_module('os')", rule: SafetyRule.INTROSPECTION, name: "__loader__" },
    { settings: STRICT, code: "name = 'x'; getattr(pathlib, name)", rule: SafetyRule.INTROSPECTION, name: "getattr" },
    { settings: STRICT, code: '"{0.__class__.__base__}".format(1)', rule: SafetyRule.INTROSPECTION, name: "__base__" },
    { settings: STRICT, code: "import json; json.decoder.re", rule: SafetyRule.IMPORT, name: "re" },
    { settings: STRICT, code: "from . import x", rule: SafetyRule.IMPORT, name: "." },
    { settings: STRICT, code: "open('/etc/hostname')", rule: SafetyRule.FUNCTION, name: "open" },
    { settings: STRICT, code: "globals()['__builtins__']", rule: SafetyRule.FUNCTION, name: "globals" },
    { settings: RUNTIME_ONLY, code: "globals()['__builtins__']", rule: SafetyRule.INTROSPECTION, name: "__builtins__" },
    { settings: RUNTIME_ONLY, code: "vars(pathlib).get('__builtins__')", rule: SafetyRule.INTROSPECTION, name: "__builtins__" },
    { settings: { ...STRICT, authorizedImports: { values: ["pathlib", "io"] } }, code: "import io; io.open('x', 'w')", rule: SafetyRule.FUNCTION, name: "io.open" },
    { settings: { ...STRICT, authorizedImports: { values: ["pathlib", "sys"] } }, code: "import sys; sys.modules['os']", rule: SafetyRule.INTROSPECTION, name: "sys.modules" },
    { settings: { ...STRICT, authorizedImports: { values: ["pathlib", "shutil"] } }, code: "import shutil; shutil.os.system('id')", rule: SafetyRule.IMPORT, name: "os" },
    { settings: { ...STRICT, authorizedImports: { values: ["pathlib", "numpy"] } }, code: "import numpy; m = numpy.ctypeslib; m.ctypes", rule: SafetyRule.IMPORT, name: "ctypes" },
    { settings: STRICT, code: "class M: __match_args__ = ('__globals__',)", rule: SafetyRule.INTROSPECTION, name: "__globals__" },
    { settings: STRICT, code: "class M: __match_args__ = tuple(['__globals__'])", rule: SafetyRule.INTROSPECTION, name: "__match_args__" },
    { settings: STRICT, code: "M = type('M', (), dict(__match_args__=('__globals__',)))", rule: SafetyRule.INTROSPECTION, name: "__globals__" },
    { settings: STRICT, code: "class M: __match_args__ = (); __match_args__ += ('__globals__',)", rule: SafetyRule.INTROSPECTION, name: "__match_args__" },
    { settings: STRICT, code: "class Fields: __globals__: dict", rule: SafetyRule.INTROSPECTION, name: "__globals__" },
  ])("bypass rejected before running: $code", async ({ settings, code, rule, name }, { client }) => {
    await withSafetySession(client, settings, async (session) => {
      const outcome = await session.runPython(TOUCH_MARKER + code);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(rule);
      expect(outcome.result.refusal?.name).toBe(name);
      expect(outcome.result.refusal?.line).toBe(2);
      expect(outcome.result.refusal?.column).toBeGreaterThan(0);
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });

  test.for<RefusalCase>([
    { code: 'exec("import os")', rule: SafetyRule.IMPORT, name: "os" },
    { code: 'eval("__import__(\'os\')")', rule: SafetyRule.IMPORT, name: "os" },
    { code: 'exec(compile("import subprocess", "f.py", "exec"))', rule: SafetyRule.IMPORT, name: "subprocess" },
    { code: 'import pickle; pickle.loads(b"cposix\\nsystem\\n(Vid\\ntR.")', rule: SafetyRule.IMPORT, name: "posix" },
    { code: "def load():\n    exec('import os')\ntry:\n    load()\nexcept BaseException:\n    pass", rule: SafetyRule.IMPORT, name: "os" },
  ])("runtime refusal ends the execution: $code", async ({ code, rule, name }, { client }) => {
    await withSafetySession(client, RUNTIME_ONLY, async (session) => {
      const outcome = await session.runPython(`${code}\n${TOUCH_MARKER}`);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(rule);
      expect(outcome.result.refusal?.name).toBe(name);
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });

  test.for<RefusalCase>([
    { code: "match ():\n    case object(__class__=C, __reduce_ex__=R): pass", rule: SafetyRule.INTROSPECTION, name: "__reduce_ex__" },
    { code: "match 1:\n    case __builtins__: pass", rule: SafetyRule.INTROSPECTION, name: "__builtins__" },
    { code: "match {}:\n    case {**__builtins__}: pass", rule: SafetyRule.INTROSPECTION, name: "__builtins__" },
  ])("match pattern rejected before running: $code", async ({ code, rule, name }, { client }) => {
    await withSafetySession(client, STRICT, async (session) => {
      const outcome = await session.runPython(TOUCH_MARKER + code);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(rule);
      expect(outcome.result.refusal?.name).toBe(name);
      expect(outcome.result.refusal?.line).toBe(3);
      expect(outcome.result.refusal?.column).toBe(10);
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });

  test("attribute read by a class pattern rejected like attribute access", async ({ client }) => {
    const code = [
      "match ():",
      "    case object(__class__=C): pass",
      "match C:",
      "    case object(__base__=B): pass",
      "match B:",
      "    case object(__subclasses__=S): pass",
      "for k in S():",
      "    if k.__name__ == '_wrap_close':",
      "        match k:",
      "            case object(__init__=I): pass",
      "        match I:",
      "            case object(__globals__=G): pass",
      `        G['system']('touch ${MARKER}'); break`,
    ].join("\n");
    await withSafetySession(client, { authorizedImports: { values: [] }, authorizedFunctions: { values: [] }, checkStringObfuscation: true }, async (session) => {
      const outcome = await session.runPython(code);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(SafetyRule.INTROSPECTION);
      expect(outcome.result.refusal?.name).toBe("__base__");
      expect(outcome.result.refusal?.line).toBe(4);
      expect(outcome.result.refusal?.column).toBe(10);
      expect(outcome.result.message).toContain("access to the attribute __base__ is not allowed");
      expect(outcome.stdout).toBe("");
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });

  test("alias from an earlier cell checked", async ({ client }) => {
    await withSafetySession(client, CODE_ALLOWED, async (session) => {
      const first = await session.runPython("run = exec");
      const second = await session.runPython(`${TOUCH_MARKER}run("imp" + "ort os")`);

      expect(first.status, describeOutcome(first)).toBe(ExecutionStatus.OK);
      expect(second.status, describeOutcome(second)).toBe(ExecutionStatus.REJECTED);
      expect(second.result.refusal?.rule).toBe(SafetyRule.OBFUSCATION);
      expect(second.result.refusal?.name).toBe("exec()");
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });

  test("module in the workspace not imported", async ({ client }) => {
    await withSafetySession(client, { authorizedImports: { values: ["pathlib", "csv"] } }, async (session) => {
      await session.runShell(`printf 'import pathlib\\npathlib.Path("${MARKER}").touch()\\n' > csv.py`);
      const outcome = await session.runPython("import csv");

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(SafetyRule.IMPORT);
      expect(existsInWorkspace(session, MARKER)).toBe(false);
    });
  });
});
