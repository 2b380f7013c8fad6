/**
 * Which custody events reach guardians over the socket, under which name, with
 * what data, and to whom: the vault's current guardians (custody's
 * `recipientsOf`, the same table canAccessVault reads, so a guardian gets
 * pushes of exactly the vaults whose REST routes answer them). The data comes
 * from the log: the event itself, and for a signing package the message and the
 * round's commitments from the transaction's stream.
 *
 * What is never pushed: invitations (they carry an email address), and other
 * guardians' DKG round-2 ciphertexts (each guardian receives only the packages
 * addressed to it).
 */
import type { Sql } from "../../../db/client.ts";
import type { Catalog } from "../../../events/catalog/catalog.ts";
import { CUSTODY_PUSH_TYPES } from "../../../events/catalog/custody.ts";
import { type EventRow, eventColumns, toStoredEvent } from "../../../events/rows.ts";
import type { StoredEvent } from "../../../events/types.ts";
import { recipientsOf } from "../recipients.ts";
import type { Delivery } from "./bus.ts";
import type { PushSource } from "./fanout.ts";
import type { PushFrame } from "./protocol.ts";

/** The round events the issue names, in the protocol's words; other pushed events are snake_cased. */
export const PUSH_NAMES: Readonly<Record<string, string>> = {
  SigningRoundStarted: "commitments_wanted",
  SigningPackageIssued: "signing_package_ready",
  SignatureShareRejected: "share_rejected",
  TransactionSigned: "transaction_signed",
  TransactionFailed: "transaction_failed",
  SigningRoundTimedOut: "round_timed_out",
};

/** Every custody event but invitations (they carry the invitee's email address). */
export const PUSHED_TYPES: readonly string[] = CUSTODY_PUSH_TYPES.filter((t) => t !== "GuardianInvited");

export const pushName = (type: string) =>
  PUSH_NAMES[type] ?? type.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

const COLUMNS = eventColumns();

async function streamUpTo(sql: Sql, catalog: Catalog, streamId: string, event: StoredEvent) {
  const rows = await sql.query<EventRow>(
    `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND (tx_id, id) <= ($2::xid8, $3::bigint)
     ORDER BY stream_version`,
    [streamId, event.position.txId, event.position.id],
  );
  return rows.map((r) => toStoredEvent(catalog, r));
}

interface Commitment {
  userId: string;
  identifier: string;
  hiding: string;
  binding: string;
}

/** The signing package: the message and the signers' commitments of that round, from the transaction's stream. */
async function signingPackage(sql: Sql, catalog: Catalog, event: StoredEvent) {
  const d = event.data as { txId: string; round: number; signers: { userId: string }[] };
  const signers = new Set(d.signers.map((s) => s.userId));
  let message: string | null = null;
  const commitments: Commitment[] = [];
  for (const e of await streamUpTo(sql, catalog, `custodytx-${d.txId}`, event)) {
    if (e.type === "TransactionProposed") message = (e.data as { message: string }).message;
    if (e.type !== "NonceCommitmentSubmitted") continue;
    const c = e.data as Commitment & { round: number };
    if (c.round === d.round && signers.has(c.userId)) {
      commitments.push({ userId: c.userId, identifier: c.identifier, hiding: c.hiding, binding: c.binding });
    }
  }
  return { ...d, message, commitments };
}

function frame(event: StoredEvent, data: unknown): string {
  const d = event.data as { vaultId?: string; txId?: string };
  const f: PushFrame = {
    type: "event",
    event: pushName(event.type),
    eventId: event.eventId,
    eventType: event.type,
    vaultId: d.vaultId ?? null,
    transactionId: d.txId ?? null,
    recordedAt: event.recordedAt.toISOString(),
    data,
  };
  return JSON.stringify(f);
}

export function custodyPushes(catalog: Catalog): PushSource {
  return {
    eventTypes: PUSHED_TYPES,
    async deliveries(sql, event) {
      if (!PUSHED_TYPES.includes(event.type)) return [];
      const guardians = await recipientsOf(sql, event);
      if (guardians.length === 0) return [];
      if (event.type === "DkgRound2Submitted") {
        const d = event.data as { packages: { to: string }[] };
        return guardians.flatMap((userId): Delivery[] => {
          const mine = d.packages.filter((p) => p.to === userId);
          return mine.length === 0
            ? []
            : [{ userIds: [userId], frame: frame(event, { ...d, packages: mine }) }];
        });
      }
      const data =
        event.type === "SigningPackageIssued" ? await signingPackage(sql, catalog, event) : event.data;
      return [{ userIds: guardians, frame: frame(event, data) }];
    },
  };
}
