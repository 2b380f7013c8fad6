/** The catalogue of every event type in Vigil, one file per domain. */
import { adminEvents } from "./admin.ts";
import { apiKeyEvents } from "./api-keys.ts";
import { Catalog } from "./catalog.ts";

import { custodyEvents } from "./custody.ts";
import { custodySocketEvents } from "./custody-sockets.ts";
import { exportEvents } from "./exports.ts";
import { governanceEvents } from "./governance.ts";
import { identityEvents } from "./identity.ts";
import { mfaEvents } from "./mfa.ts";
import { securityEvents } from "./security.ts";
import { sessionEvents } from "./sessions.ts";
import { systemEvents } from "./system.ts";

export type { EventDefinition, EventOf, Upcaster } from "./catalog.ts";
export { Catalog, defineEvent, metadataSchema } from "./catalog.ts";

export const allEvents = [
  ...systemEvents,
  ...identityEvents,
  ...sessionEvents,
  ...securityEvents,
  ...adminEvents,
  ...apiKeyEvents,
  ...mfaEvents,
  ...custodyEvents,
  ...custodySocketEvents,
  ...governanceEvents,
  ...exportEvents,
];

export function createCatalog(): Catalog {
  return new Catalog(allEvents);
}
