/**
 * End to end: the whole runtime with its background workers. A credential-
 * stuffing burst over HTTP (one client address failing on six accounts) goes
 * through the log, the dispatcher, the threat.analyze job, AlertRaised, the
 * alert.notify job and email.send over real SMTP; the alert is found through
 * the monitoring API and the email in the admin's mailbox. On the embedded
 * default and, when CI provides them, on Postgres and BullMQ on Redis.
 */
import { afterEach, describe, expect, it } from "vitest";
import { uuidv7 } from "../../events/ids.ts";
import { systemMeta } from "../../test/fixtures/events.ts";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../../test/helpers/runtime.ts";
import { createApp } from "../app.ts";
import { features } from "../features.ts";
import { peer } from "../http/test-app.ts";
import { PASSWORD } from "../identity/testing.ts";
import { userStream } from "../identity/user.ts";
import { SECURITY_TEST_ENV } from "./testing.ts";

describe.each(runtimeCases())("threat detection end to end on $name", (rc) => {
  let live: LiveRuntime | undefined;
  afterEach(() => live?.close());

  it("turns a credential-stuffing burst into an alert in the API and an email to the admin", async () => {
    live = await startLiveRuntime(rc, SECURITY_TEST_ENV);
    const { rt, smtp } = live;
    const app = createApp(rt.deps, features);
    const call = async (method: string, path: string, ip: string, body?: unknown, token?: string) => {
      const res = await app.request(
        path,
        {
          method,
          headers: {
            ...(body === undefined ? {} : { "Content-Type": "application/json" }),
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        },
        peer(ip),
      );
      // biome-ignore lint/suspicious/noExplicitAny: tests probe response bodies freely.
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };

    // An admin (no role-grant command exists yet: registered through the log with the role).
    const userId = uuidv7();
    await rt.deps.store.append(
      userStream(userId),
      "no_stream",
      [
        {
          type: "UserRegistered",
          data: {
            userId,
            email: "soc@example.com",
            displayName: "SOC",
            roles: ["admin"],
            passwordHash: await rt.deps.auth!.passwords.hash(PASSWORD),
          },
        },
      ],
      systemMeta,
    );
    const login = await call("POST", "/v1/auth/login", "198.51.100.1", {
      email: "soc@example.com",
      password: PASSWORD,
    });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;

    const attacker = "203.0.113.66";
    for (let i = 0; i < 6; i++) {
      const res = await call("POST", "/v1/auth/login", attacker, {
        email: `employee${i}@example.com`,
        password: "Summer2026!",
      });
      expect(res.status).toBe(401);
    }

    let alerts: { id: string; rule: string; severity: string; status: string }[] = [];
    await expect
      .poll(
        async () => {
          const res = await call("GET", "/v1/security/alerts?status=open", "198.51.100.1", undefined, token);
          alerts = (res.body as { alerts: typeof alerts }).alerts ?? [];
          return alerts.map((a) => a.rule);
        },
        { timeout: 15_000, interval: 50 },
      )
      .toContain("credential_stuffing");
    const alert = alerts.find((a) => a.rule === "credential_stuffing")!;
    expect(alert).toMatchObject({ severity: "high", status: "open" });

    await expect
      .poll(() => smtp!.messages.filter((m) => /credential stuffing/.test(m.headers.subject ?? "")).length, {
        timeout: 15_000,
      })
      .toBe(1);
    const mail = smtp.messages.find((m) => /credential stuffing/.test(m.headers.subject ?? ""))!;
    expect(mail.to).toEqual(["soc@example.com"]);
    const text = mail.body.replace(/=\r?\n/g, ""); // quoted-printable soft line breaks
    expect(text).toContain(`/v1/security/alerts/${alert.id}`);
    expect(text).not.toContain(attacker);

    // The evidence is the burst itself, found in the log by the attacker's address.
    const evidence = await call(
      "GET",
      `/v1/security/events?type=LoginFailed&ip=${attacker}`,
      "198.51.100.1",
      undefined,
      token,
    );
    expect((evidence.body as { events: unknown[] }).events).toHaveLength(6);
  }, 60_000);
});
