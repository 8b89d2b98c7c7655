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
