import { defineConfig } from "vitest/config";
import { isDeadSocketWrite } from "./db/dead-socket-write.ts";

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
    // postgres.js's deferred write to a connection that closed mid-transaction
    // (db/dead-socket-write.ts) surfaces, in the Postgres restart suites, as an
    // uncaught TypeError from a timer after the request already had its 503.
    // The server survives it (guardDeadSocketWrites); only that error is let
    // pass here, every other unhandled error still fails the run.
    onUnhandledError: (error) => !isDeadSocketWrite(error),
  },
});
