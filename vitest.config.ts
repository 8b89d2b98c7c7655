import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "server/src/**/*.test.ts", "client/src/**/*.test.ts", "bench/**/*.test.ts"],
    // Each end-to-end file starts its own server and real sandboxes; two
    // files at a time fit the two cores that CI has.
    maxWorkers: 2,
    testTimeout: 30_000,
    reporters: ["default", "./test/support/escape-table-reporter.ts", "./test/support/summary-reporter.ts"],
    hookTimeout: 30_000,
  },
});
