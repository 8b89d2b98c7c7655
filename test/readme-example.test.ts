import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, test } from "./support/fixtures.js";

const EXAMPLE = fileURLToPath(new URL("../examples/stateful.ts", import.meta.url));

describe("README example", () => {
  test("prints the stateful numbers", async ({ server }) => {
    const run = await execa("npx", ["tsx", EXAMPLE], { env: { SEATBELT_URL: server.url }, reject: false });

    expect(run.stderr).toBe("");
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(["3.0 1.4142135623730951", "13.0 1.4142135623730951", "true", "done"].join("\n"));
  });
});
