import { ExecutionStatus, SafetyRule } from "../client/src/index.js";
import { describe, expect, test } from "./support/fixtures.js";
import { type SafetyInit, describeOutcome, existsInWorkspace, withSafetySession } from "./support/safety.js";

const MARKER = "MARKER";

interface SettingCase {
  readonly form: "default" | "set" | "*";
  readonly safety: SafetyInit | undefined;
  /** The refusal expected, or undefined when the task must run and create the marker. */
  readonly rule: SafetyRule | undefined;
}

interface SettingTable {
  readonly setting: string;
  readonly kind: "python" | "shell";
  /** Task that creates the marker when it runs. */
  readonly task: string;
  readonly cases: readonly SettingCase[];
}

const SHELL_ON = { bypassShellSafety: false } as const;

const TABLES: readonly SettingTable[] = [
  {
    setting: "authorized_imports",
    kind: "python",
    task: `import pathlib, ctypes\npathlib.Path("${MARKER}").touch()`,
    cases: [
      { form: "default", safety: { authorizedFunctions: { values: ["*"] } }, rule: undefined },
      { form: "set", safety: { authorizedImports: { values: ["pathlib"] } }, rule: SafetyRule.IMPORT },
      { form: "*", safety: { authorizedImports: { values: ["*"] } }, rule: undefined },
    ],
  },
  {
    setting: "authorized_functions",
    kind: "python",
    task: `exec('import pathlib; pathlib.Path("${MARKER}").touch()')`,
    cases: [
      { form: "default", safety: { authorizedImports: { values: ["pathlib"] } }, rule: undefined },
      { form: "set", safety: { authorizedFunctions: { values: ["open"] } }, rule: SafetyRule.FUNCTION },
      { form: "*", safety: { authorizedFunctions: { values: ["*"] } }, rule: undefined },
    ],
  },
  {
    setting: "check_string_obfuscation",
    kind: "python",
    task: `import pathlib\ngetattr(pathlib.Path("${MARKER}"), "tou" + "ch")()`,
    cases: [
      { form: "default", safety: { authorizedFunctions: { values: ["*"] } }, rule: undefined },
      { form: "set", safety: { checkStringObfuscation: true }, rule: SafetyRule.OBFUSCATION },
    ],
  },
  {
    setting: "bypass_shell_safety",
    kind: "shell",
    task: `touch ${MARKER}`,
    cases: [
      { form: "default", safety: { checkStringObfuscation: true }, rule: undefined },
      { form: "set", safety: SHELL_ON, rule: SafetyRule.SHELL_COMMAND },
      { form: "set", safety: { bypassShellSafety: true }, rule: undefined },
    ],
  },
  {
    setting: "additional_safe_shell_commands",
    kind: "shell",
    task: `touch ${MARKER}`,
    cases: [
      { form: "default", safety: SHELL_ON, rule: SafetyRule.SHELL_COMMAND },
      { form: "set", safety: { ...SHELL_ON, additionalSafeShellCommands: ["touch"] }, rule: undefined },
      { form: "*", safety: { ...SHELL_ON, additionalSafeShellCommands: ["*"] }, rule: undefined },
    ],
  },
  {
    setting: "additional_safe_control_operators",
    kind: "shell",
    task: `echo hi > ${MARKER}`,
    cases: [
      { form: "default", safety: SHELL_ON, rule: SafetyRule.SHELL_OPERATOR },
      { form: "set", safety: { ...SHELL_ON, additionalSafeControlOperators: [">"] }, rule: undefined },
      { form: "*", safety: { ...SHELL_ON, additionalSafeControlOperators: ["*"] }, rule: undefined },
    ],
  },
  {
    setting: "no safety",
    kind: "shell",
    task: `touch ${MARKER}`,
    cases: [{ form: "default", safety: undefined, rule: undefined }],
  },
];

const ROWS = TABLES.flatMap(({ setting, kind, task, cases }) => cases.map((row) => ({ setting, kind, task, ...row, expected: row.rule === undefined ? "runs" : `rejected by ${SafetyRule[row.rule]}` })),
);

describe("each safety setting", () => {
  test.for(ROWS)("$setting $form: $expected", async ({ kind, task, safety, rule }, { client }) => {
    await withSafetySession(client, safety, async (session) => {
      const outcome = kind === "python" ? await session.runPython(task) : await session.runShell(task);

      if (rule === undefined) {
        expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.OK);
        expect(existsInWorkspace(session, MARKER)).toBe(true);
      } else {
        expect(outcome.status, describeOutcome(outcome)).toBe(ExecutionStatus.REJECTED);
        expect(outcome.result.refusal?.rule).toBe(rule);
        expect(existsInWorkspace(session, MARKER)).toBe(false);
      }
    });
  });

  test("invalid setting rejects the session", async ({ client }) => {
    await expect(client.createSession({ safety: { authorizedFunctions: { values: ["print"] } } })).rejects.toThrow(
      'safety.authorized_functions entry "print" is invalid',
    );
  });
});
