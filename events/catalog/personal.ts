/**
 * Marks an event's personal data (see events/pii.ts). Events written before
 * Vigil sealed personal data hold it in clear under the previous schema
 * version; the data's shape did not change, so the upcaster is the identity,
 * and the version number tells an auditor which representation a row has.
 */
import type { PiiSpec, Upcaster } from "./catalog.ts";

const same: Upcaster = (d) => d;

/** The subject is the user the event is about (`data.userId`). */
export const userSubject = (d: Record<string, unknown>): string | null =>
  typeof d.userId === "string" ? `user-${d.userId}` : null;

/** `pii` for an event whose `fields` are sealed from version `since + 1` on. */
export function sealedFrom(
  since: number,
  fields: readonly string[],
  subject: PiiSpec["subject"] = userSubject,
): { pii: PiiSpec; upcasters: Record<number, Upcaster> } {
  return { pii: { subject, fields }, upcasters: { [since]: same } };
}
