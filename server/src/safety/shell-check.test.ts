import { describe, expect, test } from "vitest";
import { SafetyRule } from "../gen/seatbelt/v1/execution_pb.js";
import { type ShellSafetyPolicy } from "./options.js";
import { checkShellTask } from "./shell-check.js";

function policy(commands: readonly string[] | "all", operators: readonly string[] | "all" = ["&&", "||", ";", "|"]): ShellSafetyPolicy {
  return { commands: commands === "all" ? "all" : new Set(commands), operators: operators === "all" ? "all" : new Set(operators) };
}

const BASIC = policy(["ls", "cat", "echo", "pwd"]);
const WRAPPERS = policy(["env", "timeout", "nice", "xargs", "find", "ls"]);

function check(command: string, shellPolicy: ShellSafetyPolicy = BASIC) {
  return checkShellTask({ kind: "shell", command }, shellPolicy);
}

describe("checkShellTask", () => {
  test.each<{ command: string; rule: SafetyRule; name: string }>([
    { command: "echo $(touch /tmp/PWNED)", rule: SafetyRule.SHELL_COMMAND, name: "touch" },
    { command: "ls `id`", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "$(printf python3) -c 'print(1)'", rule: SafetyRule.SHELL_WORD, name: "" },
    { command: 'echo "$(whoami)"', rule: SafetyRule.SHELL_COMMAND, name: "whoami" },
    { command: "echo hi; rm -rf ./victim", rule: SafetyRule.SHELL_COMMAND, name: "rm" },
    { command: "echo hi && curl http://example.invalid/x", rule: SafetyRule.SHELL_COMMAND, name: "curl" },
    { command: "ls | sh", rule: SafetyRule.SHELL_COMMAND, name: "sh" },
    { command: "echo hi & id", rule: SafetyRule.SHELL_OPERATOR, name: "&" },
    { command: "echo hi\nid", rule: SafetyRule.SHELL_OPERATOR, name: "newline" },
  ])("whole command line checked: $command", ({ command, rule, name }) => {
    const refusal = check(command);

    expect(refusal?.rule).toBe(rule);
    expect(refusal?.name).toBe(name);
  });

  test.each(["echo '$(whoami)'", 'echo "a && b"', "ls -la | cat", "pwd && echo ok || echo no", "echo a; echo b;", "ls 2>&1 >/dev/null"])(
    "safe command line allowed: %s",
    (command) => {
      expect(check(command)).toBeUndefined();
    },
  );

  test.each<{ command: string; name: string }>([
    { command: "env bash -c id", name: "bash" },
    { command: "timeout 5 python3 -c 'print(1)'", name: "python3" },
    { command: "nice -n 10 rm -rf ./victim", name: "rm" },
    { command: "echo id | xargs sh -c", name: "echo" },
    { command: "find . -maxdepth 0 -exec sh -c id \\;", name: "sh" },
    { command: "env -i PATH=/bin timeout -s KILL 5 nice -5 rm x", name: "rm" },
    { command: "find . -delete", name: "find -delete" },
  ])("wrapper judged by what it runs: $command", ({ command, name }) => {
    const refusal = check(command, WRAPPERS);

    expect(refusal?.rule).toBe(SafetyRule.SHELL_COMMAND);
    expect(refusal?.name).toBe(name);
  });

  test.each(["env FOO=1 ls -la", "timeout 5 ls", "nice -n 5 ls", "find . -name '*.py'", "find . -exec ls {} +", "ls | xargs ls"])(
    "wrapper of a safe command allowed: %s",
    (command) => {
      expect(check(command, WRAPPERS)).toBeUndefined();
    },
  );

  test.each<{ command: string; rule: SafetyRule; name: string }>([
    { command: "for f in a b; do rm $f; done", rule: SafetyRule.SHELL_COMMAND, name: "rm" },
    { command: "if ls; then id; fi", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "while ls; do id; done", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "f() { id; }", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "( id )", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "{ id; }", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "cat <<EOF\n$(id)\nEOF", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "x=$(id) ls", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "echo ${x:-$(id)}", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "case x in x) id;; esac", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "((id))", rule: SafetyRule.SHELL_COMMAND, name: "id" },
    { command: "$'\\x69d'", rule: SafetyRule.SHELL_WORD, name: "" },
    { command: "$CMD", rule: SafetyRule.SHELL_WORD, name: "" },
    { command: "./cat x", rule: SafetyRule.SHELL_COMMAND, name: "./cat" },
    { command: "/bin/cat x", rule: SafetyRule.SHELL_COMMAND, name: "/bin/cat" },
    { command: "echo hi > out.txt", rule: SafetyRule.SHELL_OPERATOR, name: ">" },
    { command: "echo hi >> out.txt", rule: SafetyRule.SHELL_OPERATOR, name: ">>" },
    { command: "echo hi &> out.txt", rule: SafetyRule.SHELL_OPERATOR, name: "&" },
    { command: "echo (", rule: SafetyRule.SHELL_SYNTAX, name: "" },
  ])("command found in every construct: $command", ({ command, rule, name }) => {
    const refusal = check(command);

    expect(refusal?.rule).toBe(rule);
    expect(refusal?.name).toBe(name);
    expect(refusal?.line).toBeGreaterThan(0);
  });

  test("refusal names line and column", () => {
    expect(check("echo a\necho b; rm x", policy(["echo"], ["newline", ";"]))).toMatchObject({ name: "rm", line: 2, column: 9 });
  });

  test("sh -c script checked with its own grammar", () => {
    expect(check("sh -c 'ls; id'", policy(["sh", "ls"]))?.name).toBe("id");
    expect(check("sh -c 'ls'", policy(["sh", "ls"]))).toBeUndefined();
    expect(check('sh -c "$X"', policy(["sh", "ls"]))?.rule).toBe(SafetyRule.SHELL_WORD);
  });

  test("eval judged by its script", () => {
    expect(check("eval ls ';' id", policy(["eval", "ls"]))?.name).toBe("id");
    expect(check("eval 'ls -la'", policy(["eval", "ls"]))).toBeUndefined();
    expect(check("eval $CMD", policy(["eval", "ls"]))?.rule).toBe(SafetyRule.SHELL_WORD);
  });

  test("function declared in the script may be called", () => {
    expect(check("f() { ls; }\nf", policy(["ls"], [";", "newline"]))).toBeUndefined();
  });

  test("star allows every command and operator", () => {
    expect(check("rm -rf x & curl y > z\nid", policy("all", "all"))).toBeUndefined();
  });

  test("argv task judged as one command", () => {
    expect(checkShellTask({ kind: "shell", argv: ["rm", "-rf", "x"] }, BASIC)?.name).toBe("rm");
    expect(checkShellTask({ kind: "shell", argv: ["ls", "$(id)"] }, BASIC)).toBeUndefined();
  });
});
