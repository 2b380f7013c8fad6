/**
 * Validation answers written for the client developer: field names in plain
 * sentences, unknown body keys refused by name, each field listed once, and
 * messages a schema sets on purpose kept as written.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, createApp } from "../app.ts";
import { createRouter } from "./router.ts";
import { testDeps } from "./test-app.ts";

let app: App;
let close: () => Promise<void>;

beforeAll(async () => {
  const deps = await testDeps();
  close = () => deps.db.close();
  const r = createRouter();
  const ok = { 200: { description: "ok" } };
  const json = <S extends z.ZodType>(schema: S) => ({
    body: { required: true, content: { "application/json": { schema } } },
  });
  r.openapi(
    createRoute({
      method: "post",
      path: "/_v/account",
      request: json(
        z.object({
          email: z.email(),
          password: z.string().min(12).max(128),
          age: z.number().int().min(18).optional(),
          role: z.enum(["user", "admin"]).optional(),
          nickname: z.string().min(3, "nickname needs 3 letters or more").optional(),
          address: z.object({ city: z.string().min(1) }).optional(),
          tags: z
            .array(z.object({ name: z.string() }))
            .max(2)
            .optional(),
          meta: z.record(z.string(), z.string()).optional(),
        }),
      ),
      responses: ok,
    }),
    (c) => c.json({ ok: true }, 200),
  );
  r.openapi(
    createRoute({
      method: "post",
      path: "/_v/proof",
      request: json(
        z
          .object({ token: z.string() })
          .and(z.union([z.object({ code: z.string() }), z.object({ backupCode: z.string() })])),
      ),
      responses: ok,
    }),
    (c) => c.json({ ok: true }, 200),
  );
  r.openapi(
    createRoute({
      method: "get",
      path: "/_v/items/{id}",
      request: {
        params: z.object({ id: z.uuid() }),
        query: z.object({ limit: z.coerce.number().int().max(100) }),
      },
      responses: ok,
    }),
    (c) => c.json({ ok: true }, 200),
  );
  app = createApp(deps, [(a) => a.route("/v1", r)]);
}, 120_000);
afterAll(() => close());

async function post(path: string, body: unknown) {
  const res = await app.request(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { code: string; errors?: { path: string; message: string }[] },
  };
}

describe("validation messages", () => {
  it("says what is missing, too short, of the wrong type or out of range, in words", async () => {
    const res = await post("/v1/_v/account", { password: "short", age: "x", role: "root" });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_failed");
    expect(res.body.errors).toEqual([
      { path: "body.email", message: "email is required" },
      { path: "body.password", message: "password must be at least 12 characters" },
      { path: "body.age", message: "age must be a number" },
      { path: "body.role", message: 'role must be one of "user", "admin"' },
    ]);
    const more = await post("/v1/_v/account", {
      email: "not-an-email",
      password: "x".repeat(200),
      age: 12,
      address: { city: "" },
      tags: [{ name: 1 }, {}],
    });
    expect(more.body.errors).toEqual([
      { path: "body.email", message: "email must be a valid email address" },
      { path: "body.password", message: "password must be at most 128 characters" },
      { path: "body.age", message: "age must be at least 18" },
      { path: "body.address.city", message: "city must not be empty" },
      { path: "body.tags.0.name", message: "name must be a string" },
      { path: "body.tags.1.name", message: "name is required" },
    ]);
    const many = await post("/v1/_v/account", {
      email: "a@example.com",
      password: "x".repeat(12),
      tags: [{ name: "a" }, { name: "b" }, { name: "c" }],
    });
    expect(many.body.errors).toEqual([{ path: "body.tags", message: "tags must have at most 2 items" }]);
  });

  it("keeps a message the schema wrote on purpose", async () => {
    const res = await post("/v1/_v/account", {
      email: "a@example.com",
      password: "x".repeat(12),
      nickname: "al",
    });
    expect(res.body.errors).toEqual([{ path: "body.nickname", message: "nickname needs 3 letters or more" }]);
  });

  it("refuses unknown keys by name, with a suggestion, at any depth; records stay open", async () => {
    const res = await post("/v1/_v/account", {
      email: "a@example.com",
      pasword: "x".repeat(12),
      address: { city: "Oslo", zip: "0150" },
      tags: [{ name: "a", colour: "red" }],
      meta: { anything: "goes" },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: "body.password", message: "password is required" },
      { path: "body.pasword", message: "pasword is not a known field; did you mean password?" },
      { path: "body.address.zip", message: "zip is not a known field" },
      { path: "body.tags.0.colour", message: "colour is not a known field" },
    ]);
    // The same body without the stray keys passes: unknown keys alone are enough to refuse.
    const ok = await post("/v1/_v/account", {
      email: "a@example.com",
      password: "x".repeat(12),
      meta: { a: "b" },
    });
    expect(ok.status).toBe(200);
    const stray = await post("/v1/_v/account", {
      email: "a@example.com",
      password: "x".repeat(12),
      admin: true,
    });
    expect(stray.body.errors).toEqual([{ path: "body.admin", message: "admin is not a known field" }]);
  });

  it("takes the keys of every alternative of a union or intersection", async () => {
    expect((await post("/v1/_v/proof", { token: "t", code: "123456" })).status).toBe(200);
    expect((await post("/v1/_v/proof", { token: "t", backupCode: "abcd" })).status).toBe(200);
    const res = await post("/v1/_v/proof", { token: "t", code: "1", extra: 1 });
    expect(res.body.errors).toEqual([{ path: "body.extra", message: "extra is not a known field" }]);
  });

  it("names path and query fields the same way", async () => {
    const res = await app.request("/v1/_v/items/nope?limit=5");
    const body = (await res.json()) as { errors: unknown[] };
    expect(body.errors).toEqual([{ path: "param.id", message: "id must be a UUID" }]);
    const q = (await (
      await app.request("/v1/_v/items/0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a?limit=500")
    ).json()) as {
      errors: unknown[];
    };
    expect(q.errors).toEqual([{ path: "query.limit", message: "limit must be at most 100" }]);
  });
});
