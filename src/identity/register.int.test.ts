/**
 * Racing registrations: the unique index in the inline `users` projection lets
 * exactly one of ten concurrent registrations of one email through. On PGlite
 * (serialised) and on real Postgres (truly concurrent) when TEST_DATABASE_URL is set.
 */
import { describe, expect, it } from "vitest";
import { dbCases } from "../../test/helpers/db.ts";
import { client, identityHarness, PASSWORD } from "./testing.ts";

describe.each(dbCases())("racing registrations on $name", ({ make }) => {
  it("10 concurrent registrations of one email: exactly one 201, nine 409 email_taken, one event", async () => {
    const db = await make();
    const h = await identityHarness({ db });
    try {
      const api = client(h.app);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          api.register(i % 2 ? "Race@Example.com" : "race@example.com ", PASSWORD),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
      for (const r of results.filter((x) => x.status === 409)) expect(r.body!.code).toBe("email_taken");
      const registered = (await h.events()).filter((e) => e.type === "UserRegistered");
      expect(registered).toHaveLength(1);
      expect(await db.query("SELECT email FROM users")).toEqual([{ email: "race@example.com" }]);
      // Losers left no stream behind either.
      const streams = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM streams WHERE stream_id LIKE 'user-%'",
      );
      expect(streams[0]!.n).toBe(1);
    } finally {
      await h.close();
      await db.close();
    }
  });
});
