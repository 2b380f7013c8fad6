/**
 * A known fault of postgres.js 3.4: when a connection closes in the middle of a
 * transaction (a server restart, a killed backend), `sql.begin` still sends its
 * ROLLBACK (or COMMIT) to that connection; the write is deferred with
 * setImmediate and then runs against the closed connection's null socket. The
 * TypeError is thrown from a timer, outside any promise: the caller has
 * already had its CONNECTION_CLOSED (mapped to 503), and nothing was written,
 * but Node would end the process on it.
 *
 * This module recognises exactly that error (its message, and a stack through
 * postgres.js's connection `nextWrite`), and `guardDeadSocketWrites` keeps a
 * server alive through it. Every other uncaught exception still ends the
 * process, as Node would end it (printed, exit code 1).
 */
export function isDeadSocketWrite(err: unknown): boolean {
  // By shape, not `instanceof`: a test runner hands over errors serialised from its workers.
  if (typeof err !== "object" || err === null) return false;
  const { name, message, stack } = err as { name?: unknown; message?: unknown; stack?: unknown };
  if (name !== "TypeError" || message !== "Cannot read properties of null (reading 'write')") return false;
  if (typeof stack !== "string") return false;
  return /nextWrite/.test(stack) && /postgres[\\/]src[\\/]connection\.js/.test(stack);
}

let guarded = false;

/**
 * Installs the guard once, and only where nothing else handles uncaught
 * exceptions (a test runner has its own handler and filters this error in its
 * configuration instead).
 */
export function guardDeadSocketWrites(warn: (message: string) => void = console.warn): void {
  if (guarded || typeof process === "undefined" || typeof process.listenerCount !== "function") return;
  if (process.listenerCount("uncaughtException") > 0) return;
  guarded = true;
  process.on("uncaughtException", (err) => {
    if (isDeadSocketWrite(err)) {
      warn("postgres.js wrote to a closed connection after it failed (known driver fault); ignored");
      return;
    }
    console.error(err);
    process.exit(1);
  });
}
