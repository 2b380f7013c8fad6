/**
 * A ceiling on handler time, so one stuck dependency cannot pin connections
 * forever. The handler keeps running in the background (JS cannot cancel it);
 * the client gets a 503 problem and can retry.
 */
import type { MiddlewareHandler } from "hono";
import { AppError } from "../errors.ts";

export function requestTimeout(ms: number): MiddlewareHandler {
  return async (_c, next) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new AppError("request_timeout", `The request took longer than ${ms} ms`)),
        ms,
      );
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}
