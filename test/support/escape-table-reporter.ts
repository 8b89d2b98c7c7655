import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Reporter, TestModule } from "vitest/node";

/** Where the last run's table is also written; the folder is gitignored. */
const TABLE_PATH = join(import.meta.dirname, "../../test-results/escape-table.txt");

const HEADER = ["result", "attack", "expected", "observed"] as const;

type Row = readonly [string, string, string, string];

/**
 * Names a test's outcome for the table. A failed check after an observation
 * is an escape, and a failure before any observation is an error of the test
 * itself.
 */
function describeResult(state: string, observed: boolean): string {
  if (state === "passed") {
    return "held";
  }
  if (state === "skipped") {
    return "skipped";
  }
  return observed ? "ESCAPED" : "ERROR";
}

/** Returns the table's rows from the escape suite's test cases, in the order they were declared. */
function collectRows(testModules: ReadonlyArray<TestModule>): Row[] {
  const rows: Row[] = [];
  for (const testModule of testModules) {
    if (!testModule.moduleId.includes("/test/security/")) {
      continue;
    }
    for (const testCase of testModule.children.allTests()) {
      const state = testCase.result().state;
      const row = testCase.meta().attack;
      rows.push([describeResult(state, row !== undefined), row?.attack ?? testCase.name, row?.expected ?? "", row?.observed ?? ""]);
    }
  }
  return rows;
}

function formatTable(rows: readonly Row[]): string {
  const widths = HEADER.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const formatRow = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((width, column) => "-".repeat(column === widths.length - 1 ? Math.min(width, 40) : width)).join("-|-");
  return [formatRow(HEADER), rule, ...rows.map(formatRow)].join("\n");
}

/**
 * Prints the escape suite's table after a run that included it: one row per
 * attack with what was expected and what actually happened, and writes the
 * same table to test-results/escape-table.txt.
 */
export default class EscapeTableReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const rows = collectRows(testModules);
    if (rows.length === 0) {
      return;
    }

    const table = formatTable(rows);
    process.stdout.write(`\nEscape attempts (held: the attack failed as expected)\n${table}\n`);
    mkdirSync(join(TABLE_PATH, ".."), { recursive: true });
    writeFileSync(TABLE_PATH, `${table}\n`);
  }
}
