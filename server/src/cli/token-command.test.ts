import { describe, expect, test } from "vitest";
import { hashToken } from "../auth/token.js";
import { TOKEN_USAGE, runTokenCommand } from "./token-command.js";

const noStdin = () => Promise.resolve("");

describe("runTokenCommand", () => {
  test("create prints a token and the entry with its hash", async () => {
    const result = await runTokenCommand(["create", "team-a"], noStdin);

    expect(result.exitCode).toBe(0);
    const output = result.exitCode === 0 ? result.stdout : "";
    const token = /^token: ([0-9a-f]{64})$/m.exec(output)?.[1];
    expect(token).toBeDefined();
    const entry = JSON.parse(/^tenants file entry: (.*)$/m.exec(output)![1]!) as unknown;
    expect(entry).toEqual({ name: "team-a", token_sha256: hashToken(token!) });
  });

  test("hash prints the SHA-256 of stdin's token", async () => {
    expect(await runTokenCommand(["hash"], () => Promise.resolve("abc\n"))).toEqual({ exitCode: 0, stdout: `${hashToken("abc")}\n` });
  });

  test("hash of empty stdin is a usage error", async () => {
    const result = await runTokenCommand(["hash"], noStdin);

    expect(result.exitCode).toBe(2);
    expect("stderr" in result ? result.stderr : "").toContain("stdin is empty");
  });

  test("unknown command prints the usage", async () => {
    expect(await runTokenCommand(["rotate"], noStdin)).toEqual({ exitCode: 2, stderr: TOKEN_USAGE });
    expect(await runTokenCommand(["--help"], noStdin)).toEqual({ exitCode: 0, stdout: TOKEN_USAGE });
  });
});
