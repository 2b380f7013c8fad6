/**
 * A ceiling on handler time that reaches the work. The handler runs under a
 * `Deadline` (db/deadline.ts) that the database layer honours. When the time is
 * up:
 *
 * - nothing committed yet: the deadline expires (statements in flight are
 *   cancelled, no later statement starts, no transaction commits) and the client
 *   gets 503 `request_timeout` with Retry-After at once. The handler may still
 *   be unwinding (JS cannot stop it), but it can no longer change anything in
 *   the database.
 * - a commit is in flight: its outcome decides, as above.
 * - something committed: the client gets the handler's real answer, however
 *   late. A 503 from here therefore always means "nothing was done".
 */
import type { MiddlewareHandler } from "hono";
import { Deadline, runWithDeadline } from "../../../db/deadline.ts";
import type { AppEnv } from "../env.ts";
import { AppError, RETRY_AFTER_SECONDS } from "../errors.ts";
import { requestLogger } from "../request-logger.ts";

export function requestTimeout(ms: number): MiddlewareHandler<AppEnv> {
  // One promise per request settled by whichever comes first (no Promise.race, no extra async frames):
  // this runs on every request, and each promise costs more while the deadline's AsyncLocalStorage is active.
  return (c, next) =>
    new Promise<void>((resolve, reject) => {
      const deadline = new Deadline();
      let settled = false;
      const timer = setTimeout(() => {
        deadline.expire().then((expired) => {
          if (settled) return;
          if (!expired) {
            requestLogger(c)?.warn({ ms }, "request past its deadline, but its work committed: answering");
            return;
          }
          settled = true;
          // The handler unwinds on its own; its failure (usually DeadlineExceededError) is not news.
          handler.catch(() => {});
          reject(
            new AppError("request_timeout", `The request took longer than ${ms} ms; nothing was changed`, {
              headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
            }),
          );
        });
      }, ms);
      const handler = runWithDeadline(deadline, next);
      handler.then(
        () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve();
        },
        (err: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
}
