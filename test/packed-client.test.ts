import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";
import { execa } from "execa";
import { REPO_ROOT } from "./support/tools.js";
import { describe, expect, test } from "./support/fixtures.js";

/** Packing, installing from the npm cache and compiling take a while. */
const INSTALL_TIMEOUT_MS = 600_000;
/** Time for one command, so that a hang names its command. */
const STEP_TIMEOUT_MS = 240_000;

const PROGRAM = `import { ExecutionStatus, NotFoundError, createSeatbeltClient, type ExecutionOutcome } from "@seatbelt/client";

const client = createSeatbeltClient({ baseUrl: process.env.SEATBELT_URL!, protocol: "connect" });
const session = await client.createSession({}, { timeoutMs: 30_000 });
const first: ExecutionOutcome = await session.runPython("import numpy as np\\ndata = [1, 2, 3, 4, 5]\\nprint(np.mean(data), np.std(data))", {
  onStdout: (text: string) => process.stdout.write(text),
});
const second = await session.runPython("data = [v + 10 for v in data]\\nprint(np.mean(data), np.std(data))");
process.stdout.write(second.stdout);
console.log(first.status === ExecutionStatus.OK && second.status === ExecutionStatus.OK);
await session.close();
const missing: unknown = await client.getSession(session.id).catch((error: unknown) => error);
console.log(missing instanceof NotFoundError);
`;

describe("packed client", () => {
  test("installs and compiles in a strict project", { timeout: INSTALL_TIMEOUT_MS }, async ({ server }) => {
    const dir = await mkdtemp(join(tmpdir(), "seatbelt-packed-client-"));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const packed = await execa("npm", ["pack", "--json", "--pack-destination", dir], { cwd: join(REPO_ROOT, "client"), timeout: STEP_TIMEOUT_MS });
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    const project = join(dir, "project");
    await mkdir(join(project, "src"), { recursive: true });
    await writeFile(
      join(project, "package.json"),
      JSON.stringify({
        name: "uses-seatbelt",
        private: true,
        type: "module",
        dependencies: { "@seatbelt/client": `file:../${filename}` },
      }),
    );
    await writeFile(
      join(project, "tsconfig.json"),
      // The repository's TypeScript and Node.js types compile the project, so
      // that the install fetches only the client and its dependencies.
      JSON.stringify({
        compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noUncheckedIndexedAccess: true, outDir: "dist", types: ["node"], typeRoots: [join(REPO_ROOT, "node_modules", "@types")] },
        include: ["src"],
      }),
    );
    await writeFile(join(project, "src", "main.ts"), PROGRAM);

    await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project, timeout: STEP_TIMEOUT_MS });
    const compiled = await execa("node", [join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: project, reject: false, timeout: STEP_TIMEOUT_MS });
    const run = await execa("node", ["dist/main.js"], { cwd: project, env: { SEATBELT_URL: server.url }, reject: false, timeout: STEP_TIMEOUT_MS });
    const cli = await execa("npx", ["seatbelt", "shell", "echo from the packed cli; exit 4"], { cwd: project, env: { SEATBELT_URL: server.url }, reject: false, timeout: STEP_TIMEOUT_MS });

    expect(compiled.stdout).toBe("");
    expect(compiled.exitCode).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe(["3.0 1.4142135623730951", "13.0 1.4142135623730951", "true", "true"].join("\n"));
    expect(cli.stdout).toBe("from the packed cli");
    expect(cli.exitCode).toBe(4);
  });
});
