/**
 * The wiring behind the requests, end to end: an event committed through the
 * runtime's store reaches the dispatcher, becomes an email job, is sent over
 * real SMTP, and the async projections catch up — on the embedded default and,
 * when CI provides them, on real Postgres and Redis.
 */
import { afterEach, describe, expect, it } from "vitest";
import { systemMeta as meta } from "../test/fixtures/events.ts";
import { type LiveRuntime, runtimeCases, startLiveRuntime } from "../test/helpers/runtime.ts";
import { createApp } from "./app.ts";

describe.each(runtimeCases())("background work on $name", (rc) => {
  let live: LiveRuntime | undefined;
  afterEach(() => live?.close());

  it("emails the security contact about a broken chain and runs the async projections", async () => {
    live = await startLiveRuntime(rc, { SECURITY_EMAIL: "security@example.com" });
    const { rt, smtp } = live;
    const { store, db: rtDb } = rt.deps;
    await store.append(
      "system-verification",
      "any",
      [
        {
          type: "ChainVerified",
          data: {
            streams: 3,
            events: 9,
            broken: 1,
            firstBreak: { streamId: "user-1", version: 2, reason: "hash_mismatch" },
          },
        },
      ],
      meta,
    );
    const [mail] = await smtp.waitFor(1, 10_000);
    expect(mail!.to).toEqual(["security@example.com"]);
    expect(mail!.body).toContain("user-1");
    await expect
      .poll(async () => (await rtDb.query<{ count: number }>("SELECT count FROM event_stats"))[0]?.count, {
        timeout: 10_000,
      })
      .toBe(1);

    const ready = await createApp(rt.deps).request("/ready");
    expect(ready.status).toBe(200);
    if (rt.config.redisUrl) expect(JSON.stringify(await ready.json())).toContain("redis");
  });
});
