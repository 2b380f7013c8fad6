/**
 * Test support for the console: accounts registered through the log, TOTP
 * enrolment over the API, and a small cookie-keeping client that drives the
 * console's forms the way a browser does (url-encoded posts, redirects not
 * followed, Sec-Fetch-Site/Origin as a same-origin page sends them).
 * Not imported by runtime code.
 */
import { uuidv7 } from "../../events/ids.ts";
import type { EventStore } from "../../events/store.ts";
import { systemMeta } from "../../test/fixtures/events.ts";
import type { AuthServices } from "../auth/services.ts";
import { userStream } from "../identity/user.ts";
import { codeAt } from "../mfa/totp.ts";

export type Send = (path: string, init: RequestInit) => Promise<Response>;

export async function registerAccount(
  deps: { store: EventStore; auth: AuthServices },
  email: string,
  roles: string[],
  password: string,
): Promise<string> {
  const userId = uuidv7();
  const passwordHash = await deps.auth.passwords.hash(password);
  await deps.store.append(
    userStream(userId),
    "no_stream",
    [{ type: "UserRegistered", data: { userId, email, displayName: null, roles, passwordHash } }],
    systemMeta,
  );
  return userId;
}

/** Turns two-factor on through the API (login, setup, enable) and returns the TOTP secret. */
export async function enrollTotp(
  send: Send,
  email: string,
  password: string,
  nowMs: number,
): Promise<string> {
  const json = async (path: string, body: unknown, token?: string) => {
    const res = await send(path, {
      method: "POST",
      headers: {
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const parsed = (await res.json()) as Record<string, string>;
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(parsed)}`);
    return parsed;
  };
  const { accessToken } = await json("/v1/auth/login", { email, password });
  const { secret } = await json("/v1/mfa/totp/setup", undefined, accessToken);
  await json("/v1/mfa/totp/enable", { code: codeAt(secret!, nowMs) }, accessToken);
  return secret!;
}

export interface Page {
  status: number;
  location: string | null;
  headers: Headers;
  text: string;
}

/** A browser-like client: keeps cookies, posts forms, and can read the CSRF token off the last page. */
export function consoleClient(send: Send, opts: { origin?: string } = {}) {
  const jar = new Map<string, string>();
  let last: Page | null = null;
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

  async function request(
    method: string,
    path: string,
    o: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const headers: Record<string, string> = { Cookie: cookieHeader(), ...o.headers };
    if (method !== "GET") {
      headers["Sec-Fetch-Site"] ??= "same-origin";
      if (opts.origin) headers.Origin ??= opts.origin;
    }
    // An empty value means: leave the header out (as a browser without it would).
    for (const [k, v] of Object.entries(headers)) if (v === "") delete headers[k];
    const res = await send(path, {
      method,
      headers: o.form ? { ...headers, "Content-Type": "application/x-www-form-urlencoded" } : headers,
      body: o.form ? new URLSearchParams(o.form).toString() : undefined,
      redirect: "manual",
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const [name, value] = [pair!.slice(0, pair!.indexOf("=")), pair!.slice(pair!.indexOf("=") + 1)];
      const gone = attrs.some((a) => /max-age=0\b/i.test(a.trim())) || value === "";
      if (gone) jar.delete(name.trim());
      else jar.set(name.trim(), value);
    }
    const text = res.headers.get("Content-Type")?.includes("event-stream") ? "" : await res.text();
    last = { status: res.status, location: res.headers.get("Location"), headers: res.headers, text };
    return last;
  }

  return {
    jar,
    request,
    get: (path: string) => request("GET", path),
    post: (path: string, form: Record<string, string>, headers?: Record<string, string>) =>
      request("POST", path, { form, headers }),
    /** The CSRF token in the last page's forms. */
    csrf(): string {
      const m = /name="csrf" value="([^"]+)"/.exec(last?.text ?? "");
      if (!m) throw new Error("no CSRF token on the last page");
      return m[1]!;
    },
    /** Password, then (when asked) the TOTP code; ends on the overview. */
    async signIn(email: string, password: string, secret?: string, nowMs = Date.now()): Promise<Page> {
      let res = await request("POST", "/console/sign-in", { form: { email, password } });
      if (res.location === "/console/sign-in/totp") {
        if (!secret) throw new Error("two-factor asked for, no secret given");
        // The next step's code: the one enrolment used is spent (each code works once).
        res = await request("POST", "/console/sign-in/totp", {
          form: { code: codeAt(secret, nowMs + 30_000) },
        });
      }
      return res;
    },
  };
}
