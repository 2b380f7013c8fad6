/** Events Vigil records about its own log: evidence that it was checked and rebuilt. */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

export const ChainVerified = defineEvent({
  type: "ChainVerified",
  domain: "system",
  description:
    "A full recomputation of every stream's hash chain finished; `broken` counts the breaks it found.",
  version: 1,
  schema: z.object({
    streams: z.number().int().nonnegative(),
    events: z.number().int().nonnegative(),
    broken: z.number().int().nonnegative(),
    firstBreak: z.object({ streamId: z.string(), version: z.number().int(), reason: z.string() }).nullable(),
  }),
});

export const ProjectionRebuilt = defineEvent({
  type: "ProjectionRebuilt",
  domain: "system",
  description: "A projection's tables were dropped and rebuilt from the log.",
  version: 1,
  schema: z.object({
    projection: z.string(),
    events: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative(),
  }),
});

export const systemEvents = [ChainVerified, ProjectionRebuilt];
