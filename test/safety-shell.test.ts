import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ExecutionStatus, SafetyRule } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { type SafetyInit, describeOutcome, existsInWorkspace, withSafetySession } from "./support/safety.js";

const MARKER = "PWNED";
const VICTIM = "victim";

const BASIC: SafetyInit = { bypassShellSafety: false, safeShellCommands: { values: ["ls", "cat", "echo", "pwd"] } };
const DEFAULTS: SafetyInit = { bypassShellSafety: false };
const WRAPPERS: SafetyInit = { bypassShellSafety: false, safeShellCommands: { values: ["env", "timeout", "nice", "xargs", "find", "ls"] } };

interface ShellCase {
  readonly command: string;
  readonly rule: SafetyRule;
  readonly name: string;
}

describe("shell safety settings", () => {
  test.for<ShellCase & { settings: SafetyInit }>([
    { settings: BASIC, command: `echo $(touch ${MARKER})`, rule: SafetyRule.SHELL_COMMAND, name: "touch" },
    { settings: BASIC, command: `ls \`id; touch ${MARKER}\``, rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { settings: BASIC, command: `$(printf python3) -c 'open("${MARKER}", "w")'`, rule: SafetyRule.SHELL_WORD, name: "" },
    { settings: BASIC, command: `echo "$(whoami; touch ${MARKER})"`, rule: SafetyRule.SHELL_COMMAND, name: "whoami" },
    { settings: BASIC, command: `echo hi; rm -rf ./${VICTIM}`, rule: SafetyRule.SHELL_COMMAND, name: "rm" },
    { settings: BASIC, command: `echo hi && curl http://example.invalid/x -o ${MARKER}`, rule: SafetyRule.SHELL_COMMAND, name: "curl" },
    { settings: BASIC, command: `echo touch ${MARKER} | sh`, rule: SafetyRule.SHELL_COMMAND, name: "sh" },
    { settings: BASIC, command: "echo hi & id", rule: SafetyRule.SHELL_OPERATOR, name: "&" },
    { settings: BASIC, command: `echo hi\ntouch ${MARKER}`, rule: SafetyRule.SHELL_OPERATOR, name: "newline" },
    { settings: WRAPPERS, command: `env bash -c 'touch ${MARKER}'`, rule: SafetyRule.SHELL_COMMAND, name: "bash" },
    { settings: WRAPPERS, command: `timeout 5 python3 -c 'open("${MARKER}", "w")'`, rule: SafetyRule.SHELL_COMMAND, name: "python3" },
    { settings: WRAPPERS, command: `nice -n 10 rm -rf ./${VICTIM}`, rule: SafetyRule.SHELL_COMMAND, name: "rm" },
    { settings: WRAPPERS, command: `echo touch ${MARKER} | xargs sh -c`, rule: SafetyRule.SHELL_COMMAND, name: "echo" },
    { settings: { ...WRAPPERS, additionalSafeShellCommands: ["echo"] }, command: `echo id | xargs sh -c`, rule: SafetyRule.SHELL_COMMAND, name: "sh" },
    { settings: WRAPPERS, command: `find . -maxdepth 0 -exec sh -c 'touch ${MARKER}' \\;`, rule: SafetyRule.SHELL_COMMAND, name: "sh" },
    { settings: WRAPPERS, command: `find . -name ${VICTIM} -delete`, rule: SafetyRule.SHELL_COMMAND, name: "find -delete" },
    { settings: DEFAULTS, command: `sort -S 1K --compress-program=sh -T . <<'EOF'\n${`touch ${MARKER}\n`.repeat(200)}EOF`, rule: SafetyRule.SHELL_COMMAND, name: "sort --compress-program" },
    { settings: DEFAULTS, command: `echo x | sort -o ${MARKER}`, rule: SafetyRule.SHELL_OPERATOR, name: "sort -o" },
    { settings: DEFAULTS, command: `echo x | uniq - ${MARKER}`, rule: SafetyRule.SHELL_OPERATOR, name: `uniq ${MARKER}` },
  ])("rejected before running: $command", async ({ settings, command, rule, name }, { client }) => {
    await withSafetySession(client, settings, async (session) => {
      await writeFile(join(session.info.workspaceDir, VICTIM), "keep\n");
      const outcome = await session.runShell(command);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
      expect(outcome.result.refusal?.rule).toBe(rule);
      expect(outcome.result.refusal?.name).toBe(name);
      expect(outcome.result.refusal?.line).toBeGreaterThan(0);
      expect(outcome.result.message).toContain("rejected by the safety settings");
      expect(outcome.stdout).toBe("");
      expect(existsInWorkspace(session, MARKER)).toBe(false);
      expect(existsInWorkspace(session, VICTIM)).toBe(true);
    });
  });

  test.for<{ command: string; stdout: string }>([
    { command: "echo '$(whoami)'", stdout: "$(whoami)\n" },
    { command: 'echo "a && b"', stdout: "a && b\n" },
    { command: "pwd >/dev/null && echo ok | cat", stdout: "ok\n" },
  ])("safe command runs: $command", async ({ command, stdout }, { client }) => {
    await withSafetySession(client, BASIC, async (session) => {
      const outcome = await session.runShell(command);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.OK);
      expect(outcome.stdout).toBe(stdout);
    });
  });

  test("wrapped safe command runs", async ({ client }) => {
    await withSafetySession(client, WRAPPERS, async (session) => {
      await writeFile(join(session.info.workspaceDir, VICTIM), "keep\n");
      const outcome = await session.runShell(`env LC_ALL=C timeout 5 nice -n 5 find . -name ${VICTIM} -exec ls {} +`);

      expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.OK);
      expect(outcome.stdout).toBe(`./${VICTIM}\n`);
    });
  });

  test("python code not filtered by shell settings", async ({ client }) => {
    await withSafetySession(client, BASIC, async (session) => {
      const outcome = await session.runPython("import subprocess; print(subprocess.run(['id', '-u'], capture_output=True).returncode)");

      expect(outcome.stdout).toBe("0\n");
    });
  });
});
