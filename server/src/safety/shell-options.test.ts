import { describe, expect, test } from "vitest";
import { SafetyRule } from "../gen/seatbelt/v1/execution_pb.js";
import { DEFAULT_SAFE_OPERATORS, DEFAULT_SAFE_SHELL_COMMANDS, type ShellSafetyPolicy } from "./options.js";
import { checkShellTask } from "./shell-check.js";

const DEFAULTS: ShellSafetyPolicy = { commands: new Set(DEFAULT_SAFE_SHELL_COMMANDS), operators: new Set(DEFAULT_SAFE_OPERATORS) };
const WITH_REDIRECTION: ShellSafetyPolicy = { ...DEFAULTS, operators: new Set([...DEFAULT_SAFE_OPERATORS, ">"]) };

function check(command: string, policy: ShellSafetyPolicy = DEFAULTS) {
  return checkShellTask({ kind: "shell", command }, policy);
}

describe("option rules of the default safe commands", () => {
  test.each<{ command: string; rule: SafetyRule; name: string; column: number }>([
    { command: "sort -S 1K --compress-program=sh -T . x", rule: SafetyRule.SHELL_COMMAND, name: "sort --compress-program", column: 12 },
    { command: "sort --compress-program sh x", rule: SafetyRule.SHELL_COMMAND, name: "sort --compress-program", column: 6 },
    { command: "sort --compress-prog=sh x", rule: SafetyRule.SHELL_COMMAND, name: "sort --compress-program", column: 6 },
    { command: "sort --co=sh x", rule: SafetyRule.SHELL_COMMAND, name: "sort --compress-program", column: 6 },
    { command: "sort x -o out.txt", rule: SafetyRule.SHELL_OPERATOR, name: "sort -o", column: 8 },
    { command: "sort -rnoout.txt x", rule: SafetyRule.SHELL_OPERATOR, name: "sort -o", column: 6 },
    { command: "sort --out=out.txt x", rule: SafetyRule.SHELL_OPERATOR, name: "sort --output", column: 6 },
    { command: "uniq - out.txt", rule: SafetyRule.SHELL_OPERATOR, name: "uniq out.txt", column: 8 },
    { command: "uniq -f 1 in.txt out.txt", rule: SafetyRule.SHELL_OPERATOR, name: "uniq out.txt", column: 18 },
    { command: "date -s 2020-01-01", rule: SafetyRule.SHELL_COMMAND, name: "date -s", column: 6 },
    { command: "date --set=2020-01-01", rule: SafetyRule.SHELL_COMMAND, name: "date --set", column: 6 },
    { command: "date 010100002030", rule: SafetyRule.SHELL_COMMAND, name: "date 010100002030", column: 6 },
    { command: "file -C -m magic", rule: SafetyRule.SHELL_OPERATOR, name: "file -C", column: 6 },
    { command: "hostname evil", rule: SafetyRule.SHELL_COMMAND, name: "hostname evil", column: 10 },
    { command: "find . -fprint out.txt", rule: SafetyRule.SHELL_COMMAND, name: "find -fprint", column: 1 },
    { command: "x=--compress-program=sh; sort $x f", rule: SafetyRule.SHELL_WORD, name: "sort", column: 31 },
    { command: 'a=-delete; find . "$a"', rule: SafetyRule.SHELL_WORD, name: "find", column: 19 },
    { command: "sort -o $f x", rule: SafetyRule.SHELL_WORD, name: "sort", column: 9 },
    { command: "sort -S 1K *", rule: SafetyRule.SHELL_WORD, name: "sort", column: 12 },
    { command: "uniq ?x", rule: SafetyRule.SHELL_WORD, name: "uniq", column: 6 },
  ])("option rejected with its name: $command", ({ command, rule, name, column }) => {
    const refusal = check(command);

    expect(refusal?.rule).toBe(rule);
    expect(refusal?.name).toBe(name);
    expect(refusal?.line).toBe(1);
    expect(refusal?.column).toBe(column);
    expect(refusal?.message).toContain(name.split(" ")[0]);
  });

  test("program option message names it", () => {
    expect(check("sort --compress-program=sh x")?.message).toBe("sort --compress-program runs another program, which the safe sort does not (line 1, column 6)");
  });

  test("write rejected as output redirection", () => {
    expect(check("uniq in.txt out.txt")?.message).toBe("uniq's output operand writes the file out.txt like the output redirection >, which is not in the safe set (line 1, column 13)");
  });

  test("xargs running sort rejected", () => {
    const refusal = check("echo x | xargs sort", { ...DEFAULTS, commands: new Set([...DEFAULT_SAFE_SHELL_COMMANDS, "xargs"]) });

    expect(refusal?.rule).toBe(SafetyRule.SHELL_WORD);
    expect(refusal?.name).toBe("xargs sort");
  });

  test("option inside wrapper rejected", () => {
    const refusal = check("env sort --compress-program=sh x", { ...DEFAULTS, commands: new Set([...DEFAULT_SAFE_SHELL_COMMANDS, "env"]) });

    expect(refusal?.name).toBe("sort --compress-program");
  });

  test.each(["sort -o out.txt x", "uniq in.txt out.txt", "file -C -m magic"])("write allowed when > is safe: %s", (command) => {
    expect(check(command, WITH_REDIRECTION)).toBeUndefined();
  });

  test.each([
    "sort -k2,2n -t, -S 1M -T . data.csv",
    "sort -u -o /dev/null x",
    "sort --check x",
    "sort -- -o",
    "uniq -c in.txt",
    "uniq -",
    "uniq in.txt -",
    "sort x | uniq -d",
    "date +%Y-%m-%d",
    "date -d yesterday +%s",
    "date -u -I",
    "date -Iseconds",
    "date -r x",
    "file -b --mime-type x",
    "hostname",
    "hostname -f",
    "find . -name '*.py' -type f",
    "grep -r -e pattern .",
    "tail -n 5 x",
    "sort ./*.txt data*",
    "sort '*'",
    "ls *",
    "[ -f x ] && cat x",
    "find . -name '*.py'",
  ])("ordinary use allowed: %s", (command) => {
    expect(check(command)).toBeUndefined();
  });
});
