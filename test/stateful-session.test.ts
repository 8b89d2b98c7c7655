import { ExecutionStatus } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";

describe("stateful session", () => {
  test("numpy example keeps data between executions", async ({ session }) => {
    const first = await session.runPython(
      ["data = [1, 2, 3, 4, 5]", "import numpy as np", "print(np.mean(data))", "print(np.std(data))"].join("\n"),
    );
    expect(first.status).toBe(ExecutionStatus.OK);
    expect(first.stdout).toBe("3.0\n1.4142135623730951\n");

    const second = await session.runPython(["data = [value + 10 for value in data]", "print(np.mean(data))", "print(np.std(data))"].join("\n"));
    expect(second.status).toBe(ExecutionStatus.OK);
    expect(second.stdout).toBe("13.0\n1.4142135623730951\n");
  });

  test("final expression returns its repr", async ({ session }) => {
    const outcome = await session.runPython("x = 21\nx * 2");
    expect(outcome.value).toBe("42");
    expect(outcome.stdout).toBe("");
  });
});

describe("notebook semantics", () => {
  test("top-level await shares one loop", async ({ session }) => {
    await session.runPython("import asyncio\ntask = asyncio.create_task(asyncio.sleep(0.01, result='done'))\nawait asyncio.sleep(0)");

    const outcome = await session.runPython("await task");

    expect(outcome.value).toBe("'done'");
  });

  test("failing repr is an error", async ({ session }) => {
    const outcome = await session.runPython("class Odd:\n    def __repr__(self):\n        raise ValueError('no repr')\nOdd()");

    expect(outcome.error?.name).toBe("ValueError");
    expect(outcome.error?.traceback).toContain("__repr__");
  });

  test("__builtins__ is the builtins module", async ({ session }) => {
    const outcome = await session.runPython("import builtins\n__builtins__ is builtins");

    expect(outcome.value).toBe("True");
  });

  test("SystemExit is reported, not fatal", async ({ session }) => {
    await session.runPython("kept = 1");

    const failed = await session.runPython("import sys\nsys.exit(4)");
    const clean = await session.runPython("raise SystemExit");
    const after = await session.runPython("print(kept)");

    expect(failed.status).toBe(ExecutionStatus.ERROR);
    expect(failed.exitCode).toBe(4);
    expect(failed.error?.name).toBe("SystemExit");
    expect(clean.status).toBe(ExecutionStatus.OK);
    expect(clean.exitCode).toBe(0);
    expect(after.stdout).toBe("1\n");
  });

  test("traceback shows only the session's lines", async ({ session }) => {
    const outcome = await session.runPython("def inner():\n    return 1 / 0\n\ninner()");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.error?.name).toBe("ZeroDivisionError");
    expect(outcome.error?.traceback).toMatch(/^Traceback \(most recent call last\):\n  File "<cell-\d+>", line 4, in <module>/);
    expect(outcome.error?.traceback).toContain("return 1 / 0");
    expect(outcome.error?.traceback).not.toContain("seatbelt_runtime");
  });

  test("syntax error names the line", async ({ session }) => {
    const outcome = await session.runPython("x = 1\nif x\n    pass");

    expect(outcome.status).toBe(ExecutionStatus.ERROR);
    expect(outcome.error?.name).toBe("SyntaxError");
    expect(outcome.error?.traceback).toContain('File "<cell-');
    expect(outcome.error?.traceback).toContain("line 2");
  });

  test("await traceback hides asyncio frames", async ({ session }) => {
    const outcome = await session.runPython("import asyncio\nasync def fail():\n    raise KeyError('k')\nawait fail()");

    expect(outcome.error?.name).toBe("KeyError");
    expect(outcome.error?.traceback).toMatch(/^Traceback \(most recent call last\):\n  File "<cell-\d+>", line 4/);
    expect(outcome.error?.traceback).not.toContain("base_events.py");
  });
});
