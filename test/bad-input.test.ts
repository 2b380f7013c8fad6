/**
 * Hostile input against a route that writes to the log: each case gets its own
 * status and stable code as problem+json, and nothing reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IdentityHarness, identityHarness } from "../src/identity/testing.ts";

describe("bad input on POST /v1/auth/register", () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await identityHarness({ env: { BODY_LIMIT_BYTES: "2048" } });
  });
  afterAll(() => h.close());

  const json = { "content-type": "application/json" };
  const cases: { name: string; init: RequestInit; path?: string; status: number; code: string }[] = [
    {
      name: "malformed JSON",
      init: { method: "POST", headers: json, body: '{"email": "a@b.c",' },
      status: 400,
      code: "malformed_json",
    },
    {
      name: "wrong content type",
      init: { method: "POST", headers: { "content-type": "text/plain" }, body: "email=a@b.c" },
      status: 415,
      code: "unsupported_media_type",
    },
    {
      name: "oversized body",
      init: {
        method: "POST",
        headers: json,
        body: JSON.stringify({ email: "a@b.c", password: "x".repeat(5000) }),
      },
      status: 413,
      code: "payload_too_large",
    },
    {
      name: "wrong types",
      init: { method: "POST", headers: json, body: JSON.stringify({ email: 42, password: ["x"] }) },
      status: 400,
      code: "validation_failed",
    },
    {
      name: "missing fields",
      init: { method: "POST", headers: json, body: "{}" },
      status: 400,
      code: "validation_failed",
    },
    {
      name: "a JSON array instead of an object",
      init: { method: "POST", headers: json, body: "[]" },
      status: 400,
      code: "validation_failed",
    },
    {
      name: "wrong method",
      init: { method: "PUT", headers: json, body: "{}" },
      status: 405,
      code: "method_not_allowed",
    },
    {
      name: "unknown route",
      path: "/v1/auth/registr",
      init: { method: "POST", headers: json, body: "{}" },
      status: 404,
      code: "not_found",
    },
  ];

  it.each(cases)("$name → $status $code, nothing logged", async ({ init, path, status, code }) => {
    const res = await h.app.request(path ?? "/v1/auth/register", init);
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as { code: string; status: number; requestId: string; detail?: string };
    expect(body).toMatchObject({ code, status });
    expect(body.requestId).toBeTruthy();
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|ZodError|SELECT|INSERT/);
    expect(await h.events()).toEqual([]);
  });

  it("lists the failing fields of a validation error by path", async () => {
    const res = await h.app.request("/v1/auth/register", {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email: "not-an-email", password: 12 }),
    });
    const body = (await res.json()) as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual(["body.email", "body.password"]);
  });
});
