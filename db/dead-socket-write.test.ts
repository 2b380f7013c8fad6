import { describe, expect, it } from "vitest";
import { isDeadSocketWrite } from "./dead-socket-write.ts";

/** An error as postgres.js 3.4 throws it from its deferred write on a closed connection. */
function driverError(): TypeError {
  const err = new TypeError("Cannot read properties of null (reading 'write')");
  err.stack =
    `${err.name}: ${err.message}\n` +
    "    at Immediate.nextWrite (/app/node_modules/postgres/src/connection.js:255:22)\n" +
    "    at process.processImmediate (node:internal/timers:483:21)";
  return err;
}

describe("isDeadSocketWrite", () => {
  it("recognises postgres.js's deferred write to a closed connection", () => {
    expect(isDeadSocketWrite(driverError())).toBe(true);
  });

  it("recognises it serialised, as a test runner's worker hands it over", () => {
    const { name, message, stack } = driverError();
    expect(isDeadSocketWrite({ name, message, stack })).toBe(true);
  });

  it("does not swallow the same message from anywhere else", () => {
    const elsewhere = new TypeError("Cannot read properties of null (reading 'write')");
    elsewhere.stack = `${elsewhere.message}\n    at nextWrite (/app/src/http/node-response.ts:10:5)`;
    expect(isDeadSocketWrite(elsewhere)).toBe(false);
  });

  it("does not swallow other errors from the driver", () => {
    const other = driverError();
    const renamed = new TypeError("Cannot read properties of undefined (reading 'end')");
    renamed.stack = other.stack;
    expect(isDeadSocketWrite(renamed)).toBe(false);
    expect(isDeadSocketWrite(new Error(other.message))).toBe(false);
    expect(isDeadSocketWrite("Cannot read properties of null (reading 'write')")).toBe(false);
  });
});
