import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, logger: createLogger({ level: "info", destination: stream }) };
}

describe("logger redaction", () => {
  it("removes secrets at the top level and nested, keeping the rest", () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: "hunter2-top",
        token: "tok-top",
        req: {
          headers: {
            authorization: "Bearer eyJ-secret-jwt",
            cookie: "sid=cookie-secret",
            "x-api-key": "mk_apikey-secret",
            "user-agent": "curl/8",
          },
        },
        body: {
          email: "a@example.com",
          newPassword: "np-secret",
          currentPassword: "cp-secret",
          code: "123456",
        },
        result: {
          tokens: { accessToken: "at-secret", refreshToken: "rt-secret" },
          mfa: { secret: "JBSWY3-secret" },
        },
      },
      "login",
    );
    const out = lines.join("");
    for (const secret of [
      "hunter2-top",
      "tok-top",
      "eyJ-secret-jwt",
      "cookie-secret",
      "mk_apikey-secret",
      "np-secret",
      "cp-secret",
      "123456",
      "at-secret",
      "rt-secret",
      "JBSWY3-secret",
    ]) {
      expect(out).not.toContain(secret);
    }
    const line = JSON.parse(out);
    expect(line.req.headers["user-agent"]).toBe("curl/8");
    expect(line.body.email).toBe("a@example.com");
    expect(line.body.newPassword).toBe("[redacted]");
    expect(line.msg).toBe("login");
    expect(line.level).toBe("info");
  });

  it("redacts in child loggers' bindings too", () => {
    const { lines, logger } = capture();
    logger.child({ requestId: "r1" }).info({ user: { password: "child-secret" } }, "x");
    expect(lines.join("")).not.toContain("child-secret");
    expect(JSON.parse(lines[0]!).requestId).toBe("r1");
  });

  it("redacts deep inside arrays and nested objects, whatever the key's case", () => {
    const { lines, logger } = capture();
    const input = {
      batch: [{ job: { data: { auth: { Authorization: "Bearer deep-secret", Token: "t-secret" } } } }],
    };
    logger.info(input, "deep");
    const out = lines.join("");
    expect(out).not.toContain("deep-secret");
    expect(out).not.toContain("t-secret");
    expect(JSON.parse(out).batch[0].job.data.auth.Authorization).toBe("[redacted]");
    // The caller's object is left as it was.
    expect(input.batch[0]!.job.data.auth.Token).toBe("t-secret");
  });
});
