/**
 * Custody: vaults guarded by threshold signers (FROST, RFC 9591). Two kinds of
 * stream:
 *
 * - `vault-<uuid>`: the vault's life (creation, invitations, guardians, the
 *   DKG transcript, the established key, freeze / unfreeze / archive);
 * - `custodytx-<uuid>`: one transaction and its signing rounds.
 *
 * Vigil coordinates; guardians hold the secrets. No event carries a secret
 * share, a nonce or an invitation code: invitations keep only SHA-256 of the
 * code, DKG round-2 packages are ciphertext addressed to one guardian, and
 * signing records only public commitments, public shares and the signature.
 * Points, scalars, signatures and messages are lowercase hex.
 */
import { z } from "zod";
import { defineEvent } from "./catalog.ts";

/** FROST(Ed25519, SHA-512), FROST(secp256k1, SHA-256), and its BIP-340 (Taproot) variant. */
export const CIPHERSUITES = ["ed25519", "secp256k1", "taproot"] as const;
export const CHAINS = ["bitcoin", "ethereum", "solana"] as const;

const vaultId = z.uuid();
const txId = z.uuid();
const userId = z.uuid();
const hex = (min = 1, max = 4096) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(/^([0-9a-f]{2})+$/, "must be lowercase hex");
const identifier = hex(64, 64);
const reason = z.string().trim().min(1).max(500);
const round = z.number().int().min(1).max(100);
const signer = z.object({ userId, identifier });

export const VaultCreated = defineEvent({
  type: "VaultCreated",
  domain: "custody",
  description:
    "An admin created a vault: its name, FROST ciphersuite, threshold `t` and number of guardians `n` (`participants`).",
  version: 1,
  schema: z.object({
    vaultId,
    name: z.string().min(1).max(100),
    ciphersuite: z.enum(CIPHERSUITES),
    threshold: z.number().int().min(2).max(15),
    participants: z.number().int().min(2).max(15),
  }),
});

export const GuardianInvited = defineEvent({
  type: "GuardianInvited",
  domain: "custody",
  description:
    "An admin invited someone to guard the vault. The code is emailed (derived from this event's id with the server's link key); only its SHA-256 is recorded.",
  version: 1,
  schema: z.object({
    vaultId,
    invitationId: z.uuid(),
    email: z.email(),
    codeHash: hex(64, 64),
    expiresAt: z.iso.datetime(),
  }),
});

export const GuardianJoined = defineEvent({
  type: "GuardianJoined",
  domain: "custody",
  description:
    "A signed-in user redeemed an invitation and became a guardian, with a FROST identifier and an X25519 transport public key (DKG round-2 packages are encrypted to it).",
  version: 1,
  schema: z.object({ vaultId, invitationId: z.uuid(), userId, identifier, transportPublicKey: hex(64, 64) }),
});

export const GuardianRemoved = defineEvent({
  type: "GuardianRemoved",
  domain: "custody",
  description: "An admin removed a guardian. A DKG in progress starts over without them.",
  version: 1,
  schema: z.object({ vaultId, userId, reason }),
});

export const DkgRound1Submitted = defineEvent({
  type: "DkgRound1Submitted",
  domain: "custody",
  description: "A guardian broadcast its DKG round-1 package: VSS commitment points and proof of knowledge.",
  version: 1,
  schema: z.object({
    vaultId,
    userId,
    identifier,
    commitment: z.array(hex(64, 66)).min(2).max(15),
    proofOfKnowledge: hex(128, 130),
  }),
});

export const DkgRound2Submitted = defineEvent({
  type: "DkgRound2Submitted",
  domain: "custody",
  description:
    "A guardian sent its DKG round-2 packages, one per other guardian, each encrypted to the recipient's transport key. Vigil relays ciphertext only.",
  version: 1,
  schema: z.object({
    vaultId,
    userId,
    identifier,
    packages: z
      .array(z.object({ to: userId, ciphertext: hex(32, 1024) }))
      .min(1)
      .max(14),
  }),
});

export const DkgRound3Submitted = defineEvent({
  type: "DkgRound3Submitted",
  domain: "custody",
  description:
    "A guardian reported the public key package its DKG produced: the VSS commitments (the first is the group key) and every verifying share.",
  version: 1,
  schema: z.object({
    vaultId,
    userId,
    commitments: z.array(hex(64, 66)).min(2).max(15),
    verifyingShares: z.record(identifier, hex(64, 66)),
  }),
});

export const DkgFailed = defineEvent({
  type: "DkgFailed",
  domain: "custody",
  description:
    "The guardians' final public packages disagreed: the DKG transcript is discarded and starts over.",
  version: 1,
  schema: z.object({ vaultId, reason: z.string().min(1).max(200) }),
});

export const VaultKeyEstablished = defineEvent({
  type: "VaultKeyEstablished",
  domain: "custody",
  description:
    "The vault has its group public key and each guardian's verifying share, from the coordinated DKG or an imported public key package. The vault becomes active.",
  version: 1,
  schema: z.object({
    vaultId,
    method: z.enum(["dkg", "import"]),
    groupPublicKey: hex(64, 66),
    commitments: z.array(hex(64, 66)).min(2).max(15),
    verifyingShares: z.record(identifier, hex(64, 66)),
    signers: z.array(signer).min(2).max(15),
  }),
});

export const VaultFrozen = defineEvent({
  type: "VaultFrozen",
  domain: "custody",
  description: "An admin froze the vault: it signs nothing until unfrozen.",
  version: 1,
  schema: z.object({ vaultId, reason }),
});

export const VaultUnfrozen = defineEvent({
  type: "VaultUnfrozen",
  domain: "custody",
  description: "An admin unfroze the vault: it is active again.",
  version: 1,
  schema: z.object({ vaultId, reason }),
});

export const VaultArchived = defineEvent({
  type: "VaultArchived",
  domain: "custody",
  description: "An admin archived the vault for good.",
  version: 1,
  schema: z.object({ vaultId, reason }),
});

export const TransactionProposed = defineEvent({
  type: "TransactionProposed",
  domain: "custody",
  description:
    "A guardian proposed a transaction. `message` is its canonical encoding (docs/custody.md): the bytes the guardians sign.",
  version: 1,
  schema: z.object({
    txId,
    vaultId,
    userId,
    chain: z.enum(CHAINS),
    destination: z.string().min(1).max(128),
    amount: z.string().min(1).max(80),
    memo: z.string().max(256).nullable(),
    message: hex(2, 4096),
  }),
});

export const SigningRoundStarted = defineEvent({
  type: "SigningRoundStarted",
  domain: "custody",
  description:
    "A signing round opened: guardians may submit nonce commitments until `deadline`. Later rounds leave out guardians whose shares were refused.",
  version: 1,
  schema: z.object({ txId, vaultId, round, deadline: z.iso.datetime(), excluded: z.array(userId).max(15) }),
});

export const NonceCommitmentSubmitted = defineEvent({
  type: "NonceCommitmentSubmitted",
  domain: "custody",
  description: "A guardian submitted its public nonce commitments (hiding, binding) for the round.",
  version: 1,
  schema: z.object({ txId, vaultId, round, userId, identifier, hiding: hex(64, 66), binding: hex(64, 66) }),
});

export const NonceCommitmentRefused = defineEvent({
  type: "NonceCommitmentRefused",
  domain: "custody",
  description:
    "A guardian submitted a nonce commitment Vigil had seen before (in any round): refused, since nonce reuse leaks the signing share.",
  version: 1,
  schema: z.object({ txId, vaultId, round, userId, identifier, commitment: hex(64, 66) }),
});

export const SigningPackageIssued = defineEvent({
  type: "SigningPackageIssued",
  domain: "custody",
  description:
    "`t` commitments are in: the signer set is fixed and the signing package (message + commitments) issued.",
  version: 1,
  schema: z.object({ txId, vaultId, round, signers: z.array(signer).min(2).max(15) }),
});

export const SignatureShareAccepted = defineEvent({
  type: "SignatureShareAccepted",
  domain: "custody",
  description: "A signer's signature share verified (RFC 9591 section 5.4) and was accepted.",
  version: 1,
  schema: z.object({ txId, vaultId, round, userId, identifier, share: hex(64, 64) }),
});

export const SignatureShareRejected = defineEvent({
  type: "SignatureShareRejected",
  domain: "custody",
  description:
    "A signer's signature share failed verification: refused, recorded against that guardian, and the round restarts without them when enough guardians remain.",
  version: 1,
  schema: z.object({ txId, vaultId, round, userId, identifier, share: hex(64, 64) }),
});

export const SigningRoundTimedOut = defineEvent({
  type: "SigningRoundTimedOut",
  domain: "custody",
  description:
    "A signing round passed its deadline incomplete. `missing` are the guardians it still waited for.",
  version: 1,
  schema: z.object({ txId, vaultId, round, missing: z.array(userId).max(15) }),
});

export const TransactionSigned = defineEvent({
  type: "TransactionSigned",
  domain: "custody",
  description:
    "The shares were aggregated and the group signature verified with a plain verifier (RFC 8032 Ed25519, BIP-340, or FROST secp256k1).",
  version: 1,
  schema: z.object({
    txId,
    vaultId,
    round,
    signature: hex(128, 130),
    signers: z.array(signer).min(2).max(15),
  }),
});

export const TransactionFailed = defineEvent({
  type: "TransactionFailed",
  domain: "custody",
  description: "The transaction will not be signed: rounds exhausted, or too few honest guardians remain.",
  version: 1,
  schema: z.object({ txId, vaultId, reason: z.enum(["max_attempts", "not_enough_guardians"]) }),
});

export const TransactionCancelled = defineEvent({
  type: "TransactionCancelled",
  domain: "custody",
  description: "The proposer or an admin cancelled the transaction.",
  version: 1,
  schema: z.object({ txId, vaultId, reason }),
});

export const TransactionExpired = defineEvent({
  type: "TransactionExpired",
  domain: "custody",
  description: "The vault was frozen or archived while the transaction was open: it expires unsigned.",
  version: 1,
  schema: z.object({ txId, vaultId, reason: z.enum(["vault_frozen", "vault_archived"]) }),
});

export const vaultEvents = [
  VaultCreated,
  GuardianInvited,
  GuardianJoined,
  GuardianRemoved,
  DkgRound1Submitted,
  DkgRound2Submitted,
  DkgRound3Submitted,
  DkgFailed,
  VaultKeyEstablished,
  VaultFrozen,
  VaultUnfrozen,
  VaultArchived,
];

export const transactionEvents = [
  TransactionProposed,
  SigningRoundStarted,
  NonceCommitmentSubmitted,
  NonceCommitmentRefused,
  SigningPackageIssued,
  SignatureShareAccepted,
  SignatureShareRejected,
  SigningRoundTimedOut,
  TransactionSigned,
  TransactionFailed,
  TransactionCancelled,
  TransactionExpired,
];

export const custodyEvents = [...vaultEvents, ...transactionEvents];

/**
 * Event types the WebSocket pushes to a vault's guardians (src/custody/recipients.ts).
 * Not GuardianInvited: it names the invitee's email, which is for the admin and the mail job.
 */
export const CUSTODY_PUSH_TYPES: readonly string[] = custodyEvents
  .map((e) => e.type)
  .filter((t) => t !== "GuardianInvited");
