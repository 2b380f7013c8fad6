import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // client/ has its own node_modules (a package of its own); its tests in client/test run here.
    exclude: ["node_modules/**", "data/**", "client/node_modules/**", "client/dist/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real-service suites share one Postgres and one Redis: two workers keep the
    // 2-core machines responsive while still running files in parallel.
    maxWorkers: 2,
    // The default output, then, once at the end, which suites were skipped and why.
    reporters: ["default", "./test/reporters/skipped-suites.ts"],
  },
});
