/**
 * The input rule (src/http/text.ts) at the edge: strings that are not valid
 * Unicode or hold NUL are refused wherever they come in (body keys and values
 * at any depth, query strings, path parameters, data headers) with 400
 * `validation_failed` naming the field, and nothing reaches the log. Names and
 * reasons also refuse control characters and bidi overrides.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccessHarness, accessHarness, type TestUser, userWithRoles } from "../src/access/testing.ts";
import { systemMeta } from "./fixtures/events.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests probe response bodies freely.
type JsonBody = Record<string, any>;

let h: AccessHarness;
let admin: TestUser;

beforeAll(async () => {
  h = await accessHarness({ env: { ADMIN_REQUIRE_MFA: "false", RATE_LIMITS_ENABLED: "false" } });
  admin = await userWithRoles(h, "admin@example.com", ["admin"]);
}, 180_000);
afterAll(() => h.close());

const LONE_HIGH = "\ud800";
const LONE_LOW = "\udc00";

/** Sends raw JSON text, so lone surrogates travel as `\ud800` escapes the way a hostile client sends them. */
async function send(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await h.app.request(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      Authorization: `Bearer ${admin.token}`,
      ...headers,
    },
    body,
  });
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as JsonBody };
}

async function logLength() {
  return (await h.events()).length;
}

async function expectRefused(
  req: Promise<{ status: number; type: string | null; body: JsonBody }>,
  path: string,
  before: number,
) {
  const res = await req;
  expect(res.status).toBe(400);
  expect(res.type).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe("validation_failed");
  expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  // The problem body itself is well-formed JSON text: no lone surrogate echoed back.
  expect(JSON.stringify(res.body)).not.toMatch(/(?<!\\)\\u(?:0000|d[89ab])/i);
  expect(await logLength()).toBe(before);
}

describe("the input rule in JSON bodies", () => {
  const register = (json: string) => send("POST", "/v1/auth/register", json, { Authorization: "" });

  it.each([
    ["a lone high surrogate", `"a${"\\ud800"}b"`],
    ["a lone low surrogate", `"${"\\udc00"}"`],
    ["a NUL", `"x${"\\u0000"}y"`],
  ])("refuses %s in a string value with the field's path", async (_name, literal) => {
    const before = await logLength();
    await expectRefused(
      register(`{"email":"sue@example.com","password":"plum harbour velvet 42","displayName":${literal}}`),
      "body.displayName",
      before,
    );
  });

  it("refuses a NUL in the email (before: a garbled 422 invalid_event)", async () => {
    const before = await logLength();
    await expectRefused(
      register(`{"email":"sue\\u0000@example.com","password":"plum harbour velvet 42"}`),
      "body.email",
      before,
    );
  });

  it("refuses a bad string at any depth and in keys", async () => {
    const before = await logLength();
    const deep = `{"email":"a@b.co","password":"plum harbour velvet 42","x":{"y":[1,{"z":"\\ud800"}]}}`;
    await expectRefused(register(deep), "body.x.y.1.z", before);
    const key = `{"email":"a@b.co","password":"plum harbour velvet 42","k\\u0000":1}`;
    await expectRefused(register(key), "body.k\\u0000", before);
  });

  it("refuses __proto__ keys and JSON nested absurdly deep", async () => {
    const before = await logLength();
    await expectRefused(
      register(`{"email":"a@b.co","password":"plum harbour velvet 42","__proto__":{"admin":true}}`),
      "body.__proto__",
      before,
    );
    const res = await register(`${"[".repeat(5000)}${"]".repeat(5000)}`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("validation_failed");
  });

  it("accepts proper surrogate pairs and other Unicode", async () => {
    const res = await register(
      JSON.stringify({
        email: "emoji@example.com",
        password: "plum harbour velvet 42",
        displayName: "Zoë 🦊 李",
      }),
    );
    expect(res.status).toBe(201);
    expect(res.body.displayName).toBe("Zoë 🦊 李");
  });
});

describe("names and reasons refuse control characters and bidi overrides", () => {
  it.each([
    ["a tab", "Ada\tLovelace"],
    ["a newline", "Ada\nLovelace"],
    ["an escape sequence", "Ada\u001b[31m"],
    ["a C1 control", "Ada\u0085"],
    ["a right-to-left override", "Ada\u202egpj.exe"],
    ["a bidi isolate", "Ada\u2066x"],
  ])("a display name with %s → 400 body.displayName", async (_n, displayName) => {
    const before = await logLength();
    await expectRefused(
      send(
        "POST",
        "/v1/auth/register",
        JSON.stringify({ email: "ctl@example.com", password: "plum harbour velvet 42", displayName }),
        { Authorization: "" },
      ),
      "body.displayName",
      before,
    );
  });

  it("an API key name with an escape sequence → 400 body.name", async () => {
    const before = await logLength();
    await expectRefused(
      send(
        "POST",
        "/v1/api-keys",
        JSON.stringify({ name: "ci\u001b]8;;http://evil\u0007", scopes: ["read"] }),
      ),
      "body.name",
      before,
    );
  });

  it("an admin reason may span lines but holds no other control character", async () => {
    const target = await userWithRoles(h, "target@example.com");
    const ok = await send(
      "POST",
      `/v1/admin/users/${target.userId}/roles/grant`,
      JSON.stringify({ role: "viewer", reason: "ticket SEC-1:\n\tverified by phone" }),
    );
    expect(ok.status).toBe(200);
    const before = await logLength();
    await expectRefused(
      send("POST", `/v1/admin/users/${target.userId}/disable`, JSON.stringify({ reason: "bad\u0007bell" })),
      "body.reason",
      before,
    );
  });
});

describe("the input rule in query strings, path parameters and headers", () => {
  it.each([
    ["/v1/security/events?actor=%00", "query.actor"],
    ["/v1/security/events?ip=1.2.3.4%00", "query.ip"],
    ["/v1/admin/users?email=a%00b", "query.email"],
    ["/v1/admin/users?cursor=%00", "query.cursor"],
    ["/v1/security/alerts?x%00=1", "query.x\\u0000"],
  ])("GET %s (before: 500 from Postgres) → 400 %s", async (url, path) => {
    const before = await logLength();
    await expectRefused(send("GET", url), path, before);
  });

  it("refuses NUL and control characters in path parameters, naming the parameter", async () => {
    const before = await logLength();
    await expectRefused(send("DELETE", "/v1/admin/bans/1.2.3.4%00"), "param.ip", before);
    await expectRefused(send("DELETE", "/v1/admin/bans/1.2.3.4%0A"), "param.ip", before);
    await expectRefused(send("GET", "/v1/admin/users/%00"), "param.id", before);
  });

  it("refuses control characters in headers used as data (a User-Agent reaches the log)", async () => {
    const before = await logLength();
    await expectRefused(
      send("GET", "/v1/auth/me", undefined, { "User-Agent": "curl\u0001\u001b[2J" }),
      "header.user-agent",
      before,
    );
    const ok = await send("GET", "/v1/auth/me", undefined, { "User-Agent": "Mozilla/5.0\t(X11)" });
    expect(ok.status).toBe(200);
  });

  it("checks the headers as Node received them (each occurrence on its own), when the adapter passes them", async () => {
    const asNode = (rawHeaders: string[]) =>
      h.app.request(
        "/v1/auth/me",
        { headers: { Authorization: `Bearer ${admin.token}` } },
        { incoming: { rawHeaders } },
      );
    const refused = await asNode([
      "Host",
      "localhost",
      "X-Correlation-Id",
      "ok-1",
      "x-correlation-id",
      "b\u0000d",
    ]);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as JsonBody).errors).toEqual([
      { path: "header.x-correlation-id", message: "must not contain a NUL character" },
    ]);
    const ok = await asNode(["Host", "localhost", "User-Agent", "Mozilla/5.0\t(X11)", "X-Other", "\u0001"]);
    expect(ok.status).toBe(200);
  });

  it("leaves unknown routes to 404, not to the input rule", async () => {
    const res = await send("GET", "/v1/nowhere/%00");
    expect(res.status).toBe(404);
  });
});

describe("the event store, behind the edge", () => {
  const grant = (reason: string) => ({
    userId: "0193a4b2-7c1e-7f00-9a3b-2b8c6d1e4f5a",
    role: "viewer",
    reason,
  });
  it.each([
    ["NUL in data", grant("x\u0000"), systemMeta],
    ["a lone surrogate in data", grant(`x${LONE_LOW}`), systemMeta],
    ["a lone surrogate in metadata", grant("fine"), { ...systemMeta, userAgent: `x${LONE_HIGH}` }],
  ])("refuses %s with a typed EventValidationError before writing", async (_n, data, metadata) => {
    const before = await logLength();
    const err = await h.deps.store
      .append("user-text-rule", "no_stream", [{ type: "UserRoleGranted", data }], metadata)
      .catch((e: unknown) => e);
    expect((err as Error).name).toBe("EventValidationError");
    expect((err as Error).message).toMatch(/NUL|surrogate/);
    expect(await logLength()).toBe(before);
  });
});
