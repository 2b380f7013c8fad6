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

export function requestTimeout(ms: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deadline = new Deadline();
    const handler = runWithDeadline(deadline, next);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timed_out">((resolve) => {
      timer = setTimeout(() => {
        deadline.expire().then((expired) => {
          if (expired) resolve("timed_out");
          else c.get("logger")?.warn({ ms }, "request past its deadline, but its work committed: answering");
        });
      }, ms);
    });
    try {
      const first = await Promise.race([handler.then(() => "done" as const), timedOut]);
      if (first === "timed_out") {
        // The handler unwinds on its own; its failure (usually DeadlineExceededError) is not news.
        handler.catch(() => {});
        throw new AppError("request_timeout", `The request took longer than ${ms} ms; nothing was changed`, {
          headers: { "Retry-After": String(RETRY_AFTER_SECONDS) },
        });
      }
    } finally {
      clearTimeout(timer);
    }
  };
}
