/**
 * GET /console/tail (the page) and /console/tail/stream (server-sent events).
 * A stream polls the log once a second, re-checks its session every few polls
 * (revoked or expired: an `ended` event, and the page goes to sign-in), and
 * closes after STREAM_SECONDS so the browser reconnects through requireAuth
 * again: a stream never outlives the checks a click would get.
 */
import { streamSSE } from "hono/streaming";
import type { AuthDeps } from "../auth/deps.ts";
import { sessionById } from "../sessions/session.ts";
import { consoleRouter, viewOf } from "./kit.ts";
import { TailPage } from "./pages/tail.tsx";
import { eventsAfter, fence, recentEvents, tailFilter } from "./tail.ts";

const POLL_MS = 1000;
const CHECK_EVERY = 5;
const STREAM_SECONDS = 300;

export function tailRoutes(deps: AuthDeps) {
  async function sessionLive(sid: string): Promise<boolean> {
    const s = await sessionById(deps.db, sid);
    if (!s || s.revokedAt || s.expiresAt <= deps.clock.now()) return false;
    return !(await deps.auth.guard.isRevoked(sid).catch(() => false));
  }

  return consoleRouter()
    .get("/tail", async (c) => {
      const filter = tailFilter(c.req.query());
      const rows = await recentEvents(deps, filter);
      const qs = new URLSearchParams();
      if (filter.types.length) qs.set("type", filter.types.join(","));
      if (filter.actor) qs.set("actor", filter.actor);
      if (filter.ip) qs.set("ip", filter.ip);
      const stream = `/console/tail/stream${qs.size ? `?${qs}` : ""}`;
      return c.html(<TailPage view={viewOf(c)} filter={filter} rows={rows} stream={stream} />);
    })
    .get("/tail/stream", async (c) => {
      const filter = tailFilter(c.req.query());
      const sid = c.get("auth").sessionId;
      let position = await fence(deps);
      c.header("Cache-Control", "no-store");
      return streamSSE(c, async (stream) => {
        const until = Date.now() + STREAM_SECONDS * 1000;
        for (let tick = 0; !stream.aborted && Date.now() < until; tick++) {
          if (tick % CHECK_EVERY === 0 && !(await sessionLive(sid))) {
            await stream.writeSSE({ event: "ended", data: "session ended" });
            return;
          }
          const { rows, next } = await eventsAfter(deps, filter, position);
          position = next;
          for (const row of rows)
            await stream.writeSSE({ event: "log", id: row.eventId, data: JSON.stringify(row) });
          if (!rows.length) await stream.writeSSE({ event: "ping", data: "" });
          await stream.sleep(POLL_MS);
        }
      });
    });
}
