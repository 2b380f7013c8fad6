/**
 * The canonical byte encoding of a transaction: the message the guardians sign.
 * Defined here once (and documented in docs/custody.md):
 *
 *   "vigil-custody-tx-v1" ‖ field(vaultId) ‖ field(txId) ‖ field(chain)
 *     ‖ field(destination) ‖ field(amount) ‖ field(memo)
 *
 * where field(s) = 4-byte big-endian length of UTF-8(s) ‖ UTF-8(s); the ids are
 * lowercase UUIDs, destination and amount in canonical form (addresses.ts), and
 * an absent memo is the empty string. Length prefixes make the encoding
 * injective; the vault and transaction ids bind a signature to one proposal.
 */
import type { Chain } from "./addresses.ts";

export const MESSAGE_DOMAIN = "vigil-custody-tx-v1";

export interface CanonicalTransaction {
  vaultId: string;
  txId: string;
  chain: Chain;
  destination: string;
  amount: string;
  memo: string | null;
}

const enc = new TextEncoder();

function field(s: string): Uint8Array {
  const bytes = enc.encode(s);
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, false);
  out.set(bytes, 4);
  return out;
}

export function transactionMessage(tx: CanonicalTransaction): Uint8Array {
  const parts = [
    enc.encode(MESSAGE_DOMAIN),
    field(tx.vaultId.toLowerCase()),
    field(tx.txId.toLowerCase()),
    field(tx.chain),
    field(tx.destination),
    field(tx.amount),
    field(tx.memo ?? ""),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
