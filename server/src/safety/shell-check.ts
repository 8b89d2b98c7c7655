import { SafetyRule } from "../gen/seatbelt/v1/execution_pb.js";
import type { Task } from "../sessions/execution.js";
import type { ShellSafetyPolicy } from "./options.js";
import { type ShellDialect, type ShellNode, type ShellPosition, ShellSyntaxError, getNodeType, parseShell, walkShellNode } from "./shell-syntax.js";
import { type OptionHazard, findOptionHazard, hasOptionRules } from "./shell-options.js";
import { type Word, isWrapper, unwrapCommand, unwrapFind } from "./shell-wrappers.js";
import { readWord, startsWithPattern } from "./shell-words.js";

/** Reason and position of a shell check's rejection. */
export interface ShellRefusal {
  readonly rule: SafetyRule;
  readonly name: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** Deepest nesting of sh -c scripts and wrappers that the check follows. @default 8 */
const MAX_NESTING = 8;

// Output redirections that write no file: duplicating or closing a file
// descriptor (2>&1, >&-), and writing to /dev/null.
const HARMLESS_TARGET = /^(\d+|-)$/;
const REDIRECT_OPERATORS = ["<<-", ">>", "<<", ">&", "<&", "<>", ">|", ">", "<"] as const;

class Rejection extends Error {
  constructor(readonly refusal: ShellRefusal) {
    super(refusal.message);
  }
}

interface Location {
  readonly line: number;
  readonly column: number;
}

/**
 * Walks one parsed command line. Positions inside an sh -c script are
 * reported at the wrapper that contains the script, because they refer to
 * text that the caller did not write as such.
 */
class ShellCheck {
  private readonly functions = new Set<string>();

  constructor(
    private readonly policy: ShellSafetyPolicy,
    private readonly source: string,
    private readonly outer: Location | undefined,
    private readonly depth: number,
  ) {}

  private locate(position: ShellPosition): Location {
    return this.outer ?? { line: position.Line(), column: position.Col() };
  }

  private reject(rule: SafetyRule, name: string, position: ShellPosition | Location, message: string): never {
    const where = "Line" in position ? this.locate(position) : position;
    throw new Rejection({ rule, name, ...where, message: `${message} (line ${where.line}, column ${where.column})` });
  }

  private checkOperator(operator: string, position: ShellPosition): void {
    const operators = this.policy.operators;
    if (operators !== "all" && !operators.has(operator)) {
      const shown = operator === "newline" ? "a newline between commands" : operator;
      this.reject(SafetyRule.SHELL_OPERATOR, operator, position, `the shell operator ${shown} is not in the safe set`);
    }
  }

  checkFile(file: ShellNode): void {
    walkShellNode(file, (node, type) => {
      if (type === "FuncDecl") {
        this.functions.add(String((node.Name as ShellNode).Value));
      }
      return true;
    });
    this.checkStatements(file.Stmts as ShellNode[]);
  }

  private checkStatements(statements: readonly ShellNode[]): void {
    for (const [index, statement] of statements.entries()) {
      this.checkStatement(statement);
      const semicolon = statement.Semicolon as ShellPosition;
      if (statement.Background) {
        this.checkOperator("&", semicolon.IsValid() ? semicolon : statement.End());
      } else if (semicolon.IsValid()) {
        this.checkOperator(";", semicolon);
      } else if (index < statements.length - 1) {
        this.checkOperator("newline", statement.End());
      }
    }
  }

  private checkStatement(statement: ShellNode): void {
    if (statement.Cmd !== null && statement.Cmd !== undefined) {
      this.checkCommand(statement.Cmd as ShellNode);
    }
    for (const redirect of (statement.Redirs as ShellNode[] | null) ?? []) {
      this.checkRedirect(redirect);
    }
  }

  private checkRedirect(redirect: ShellNode): void {
    const position = redirect.OpPos as ShellPosition;
    const text = this.source.slice(position.Offset(), position.Offset() + 3);
    const operator = REDIRECT_OPERATORS.find((candidate) => text.startsWith(candidate)) ?? text;
    const target = readWord(redirect.Word as ShellNode);
    this.checkSubstitutions(redirect.Word);
    if (redirect.Hdoc !== null && redirect.Hdoc !== undefined) {
      this.checkSubstitutions(redirect.Hdoc);
    }
    const harmless =
      operator === "<<" || operator === "<<-" || operator === "<" ||
      ((operator === ">&" || operator === "<&") && target !== null && HARMLESS_TARGET.test(target)) ||
      ((operator === ">" || operator === ">>") && target === "/dev/null");
    if (!harmless) {
      this.checkOperator(operator, position);
    }
  }

  private checkCommand(command: ShellNode): void {
    const type = getNodeType(command);
    switch (type) {
      case "CallExpr":
        return this.checkCall(command);
      case "BinaryCmd": {
        const position = command.OpPos as ShellPosition;
        const operator = ["&&", "||", "|&", "|"].find((candidate) => this.source.startsWith(candidate, position.Offset())) ?? "|";
        this.checkStatement(command.X as ShellNode);
        this.checkOperator(operator, position);
        this.checkStatement(command.Y as ShellNode);
        return;
      }
      case "Subshell":
      case "Block":
        return this.checkStatements(command.Stmts as ShellNode[]);
      case "IfClause":
        this.checkStatements(command.Cond as ShellNode[]);
        this.checkStatements(command.Then as ShellNode[]);
        if (command.Else !== null && command.Else !== undefined) {
          this.checkCommand(command.Else as ShellNode);
        }
        return;
      case "WhileClause":
        this.checkStatements(command.Cond as ShellNode[]);
        return this.checkStatements(command.Do as ShellNode[]);
      case "ForClause":
        this.checkSubstitutions(command.Loop);
        return this.checkStatements(command.Do as ShellNode[]);
      case "CaseClause":
        this.checkSubstitutions(command.Word);
        for (const item of command.Items as ShellNode[]) {
          this.checkSubstitutions(item.Patterns);
          this.checkStatements(item.Stmts as ShellNode[]);
        }
        return;
      case "FuncDecl":
        return this.checkStatement(command.Body as ShellNode);
      default:
        this.reject(SafetyRule.SHELL_SYNTAX, type, command.Pos(), `the shell construct ${type} is not supported by the check`);
    }
  }

  private checkCall(call: ShellNode): void {
    for (const assignment of (call.Assigns as ShellNode[] | null) ?? []) {
      this.checkSubstitutions(assignment);
    }
    const args = (call.Args as ShellNode[] | null) ?? [];
    if (args.length === 0) {
      return;
    }
    // A pattern that may expand to an option is not a plain literal, except
    // as the command name, which the safe set matches as written.
    const words = args.map((arg, index) => (index > 0 && startsWithPattern(arg) ? null : readWord(arg)));
    if (words[0] === null) {
      this.judge(words, args[0]!.Pos());
    }
    for (const arg of args) {
      this.checkSubstitutions(arg);
    }
    this.judge(words, args[0]!.Pos(), args.map((arg) => arg.Pos()));
  }

  /**
   * Judges a command by its name, by the options of a command that has
   * option rules, and, for a wrapper, by what it runs. wordPositions,
   * when known, locate each word for the message.
   */
  judge(words: readonly Word[], position: ShellPosition | Location, wordPositions?: readonly ShellPosition[]): void {
    const name = words[0];
    if (name === null || name === undefined) {
      this.reject(SafetyRule.SHELL_WORD, "", position, "a command name is not a plain literal (it holds an expansion, a substitution or $'...' quoting)");
    }
    if (this.policy.commands === "all") {
      return;
    }
    if (name.includes("/")) {
      this.reject(SafetyRule.SHELL_COMMAND, name, position, `the command ${name} is named by a path, which the safe set never matches`);
    }
    if (!this.policy.commands.has(name) && !this.functions.has(name)) {
      this.reject(SafetyRule.SHELL_COMMAND, name, position, `the command ${name} is not in the safe set`);
    }
    const hazard = findOptionHazard(name, words.slice(1));
    if (hazard !== undefined) {
      this.rejectOption(name, hazard, wordPositions?.[hazard.index + 1] ?? position);
    }
    if (name === "find") {
      this.judgeFind(words.slice(1), position);
    } else if (isWrapper(name)) {
      this.judgeWrapped(name, words.slice(1), position);
    }
  }

  private rejectOption(name: string, hazard: OptionHazard, position: ShellPosition | Location): void {
    const what = hazard.option === "operand" ? `${name} ${hazard.target}` : `${name} ${hazard.option}`;
    switch (hazard.effect) {
      case "unreadable":
        return this.reject(SafetyRule.SHELL_WORD, name, position, `cannot tell what ${name} is told to do: an argument is not a plain literal or is a pattern that may match a name starting with -, and ${name} has options that run programs or change files (write ./*.txt rather than *.txt)`);
      case "runs":
        return this.reject(SafetyRule.SHELL_COMMAND, what, position, `${what} runs another program, which the safe ${name} does not`);
      case "changes":
        return this.reject(SafetyRule.SHELL_COMMAND, what, position, `${what} changes a setting of the system, which the safe ${name} does not`);
      case "writes": {
        const shown = hazard.option === "operand" ? `${name}'s output operand` : what;
        const target = hazard.target === undefined ? "a file" : `the file ${hazard.target}`;
        const operators = this.policy.operators;
        if (operators !== "all" && !operators.has(">")) {
          this.reject(SafetyRule.SHELL_OPERATOR, what, position, `${shown} writes ${target} like the output redirection >, which is not in the safe set`);
        }
        return;
      }
    }
  }

  private judgeFind(args: readonly Word[], position: ShellPosition | Location): void {
    const { runs, writer } = unwrapFind(args);
    if (writer !== undefined) {
      this.reject(SafetyRule.SHELL_COMMAND, `find ${writer}`, position, `find ${writer} deletes or writes files, which the safe find does not`);
    }
    for (const run of runs) {
      this.nested(() => this.judge(run, position), position);
    }
  }

  private judgeWrapped(name: string, args: readonly Word[], position: ShellPosition | Location): void {
    const run = unwrapCommand(name, args);
    switch (run.kind) {
      case "none":
        return;
      case "unknown":
        return this.reject(SafetyRule.SHELL_WORD, name, position, `cannot tell which program ${name} runs: ${run.reason}`);
      case "command": {
        const program = run.words[0];
        if (name === "xargs" && typeof program === "string" && hasOptionRules(program)) {
          this.reject(SafetyRule.SHELL_WORD, `xargs ${program}`, position, `xargs adds words read from its input to the arguments of ${program}, whose options can run programs or change files`);
        }
        return this.nested(() => this.judge(run.words, position), position);
      }
      case "script":
        if (run.script === null) {
          this.reject(SafetyRule.SHELL_WORD, name, position, `${name} -c is given no script that is a plain literal`);
        }
        return this.nested(() => checkScript(run.script!, run.dialect, this.policy, "Line" in position ? this.locate(position) : position, this.depth + 1), position);
    }
  }

  private nested(action: () => void, position: ShellPosition | Location): void {
    if (this.depth >= MAX_NESTING) {
      this.reject(SafetyRule.SHELL_SYNTAX, "", position, `wrappers and scripts are nested more than ${MAX_NESTING} deep`);
    }
    action();
  }

  /** Checks every command substitution in node, however deeply it is quoted or expanded. */
  private checkSubstitutions(node: unknown): void {
    if (node === null || node === undefined) {
      return;
    }
    const nodes = Array.isArray(node) ? node : [node];
    for (const item of nodes) {
      walkShellNode(item, (child, type) => {
        if (type === "CmdSubst") {
          this.checkStatements(child.Stmts as ShellNode[]);
          return false;
        }
        if (type === "ProcSubst" || type === "ArithmCmd" || type === "CoprocClause") {
          this.reject(SafetyRule.SHELL_SYNTAX, type, child.Pos(), `the shell construct ${type} is not supported by the check`);
        }
        return true;
      });
    }
  }

}

function checkScript(script: string, dialect: ShellDialect, policy: ShellSafetyPolicy, outer: Location | undefined, depth: number): void {
  let file: ShellNode;
  try {
    file = parseShell(script, dialect);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) {
      throw error;
    }
    const where = outer ?? { line: error.line, column: error.column };
    throw new Rejection({ rule: SafetyRule.SHELL_SYNTAX, name: "", ...where, message: `the command does not parse: ${error.message}` });
  }
  new ShellCheck(policy, script, outer, depth).checkFile(file);
}

/**
 * Checks a shell task against the session's safe commands and operators.
 * A command line is parsed with the POSIX grammar of /bin/sh, which runs it;
 * an argv task is judged as one command. Returns the first refusal in source
 * order, or undefined when the task may run.
 */
export function checkShellTask(task: Task, policy: ShellSafetyPolicy): ShellRefusal | undefined {
  if (task.kind !== "shell") {
    return undefined;
  }
  try {
    if (task.argv !== undefined) {
      new ShellCheck(policy, "", undefined, 0).judge(task.argv, { line: 1, column: 1 });
    } else {
      checkScript(task.command ?? "", "posix", policy, undefined, 0);
    }
  } catch (error) {
    if (error instanceof Rejection) {
      return error.refusal;
    }
    // The parser is Go code compiled to JavaScript; a panic in it must
    // reject the command rather than let it run unchecked.
    return { rule: SafetyRule.SHELL_SYNTAX, name: "", line: 0, column: 0, message: `the shell check failed: ${String(error)}` };
  }
  return undefined;
}
