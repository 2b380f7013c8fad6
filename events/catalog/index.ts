/** The catalogue of every event type in Vigil, one file per domain. */
import { Catalog } from "./catalog.ts";
import { identityEvents } from "./identity.ts";
import { securityEvents } from "./security.ts";
import { sessionEvents } from "./sessions.ts";
import { systemEvents } from "./system.ts";

export type { EventDefinition, EventOf, Upcaster } from "./catalog.ts";
export { Catalog, defineEvent, metadataSchema } from "./catalog.ts";

export const allEvents = [...systemEvents, ...identityEvents, ...sessionEvents, ...securityEvents];

export function createCatalog(): Catalog {
  return new Catalog(allEvents);
}
