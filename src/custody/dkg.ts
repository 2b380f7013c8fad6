/**
 * The coordinated DKG, in the library's three rounds (@noble/curves
 * `DKG.round1/2/3`, run by the guardians):
 *
 * 1. each guardian broadcasts its round-1 package (VSS commitment, proof of
 *    knowledge); Vigil checks the points and that `t` are given;
 * 2. once every round-1 package is in, each guardian sends one round-2 package
 *    per other guardian, encrypted to that guardian's X25519 transport key:
 *    Vigil stores and relays ciphertext it cannot read;
 * 3. each guardian reports the public key package its round 3 produced. When
 *    all `n` have, and they are identical and valid, the vault's key is
 *    established; if they disagree the transcript is discarded (DkgFailed).
 */
import type { EventMetadata, NewEvent } from "../../events/types.ts";
import { assertVaultAccess } from "../access/vaults.ts";
import { AppError } from "../http/errors.ts";
import { type Caller, type CustodyDeps, onVault } from "./context.ts";
import { checkPublicPackage } from "./coordinator.ts";
import { fromHex } from "./hex.ts";
import type { DkgRound1, DkgRound2, PublicPackageInput } from "./schemas.ts";
import { suiteOf } from "./suites.ts";
import {
  activeGuardians,
  type PublicPackage,
  requireGuardian,
  requireStatus,
  type VaultState,
} from "./vault.ts";
import { keyEstablished, normalizePackage } from "./vault-commands.ts";

export type DkgInput =
  | { round: 1; body: DkgRound1 }
  | { round: 2; body: DkgRound2 }
  | { round: 3; body: PublicPackageInput };

const dkgState = (detail: string) => new AppError("dkg_state", detail);

function ready(v: VaultState): void {
  requireStatus(v, "pending_keygen");
  if (activeGuardians(v).length !== v.size) {
    throw dkgState(
      `The DKG starts once all ${v.size} guardians have joined (${activeGuardians(v).length} so far)`,
    );
  }
}

function round1(v: VaultState, userId: string, body: DkgRound1): NewEvent[] {
  const g = requireGuardian(v, userId);
  if (v.dkg.round1[userId]) throw new AppError("already_submitted", "Your round-1 package is already in");
  const suite = suiteOf(v.ciphersuite);
  if (body.commitment.length !== v.threshold) {
    throw new AppError("invalid_length", `commitment must hold ${v.threshold} points`, {
      errors: [
        { path: "body.commitment", message: `must hold exactly ${v.threshold} points (the threshold)` },
      ],
    });
  }
  body.commitment.forEach((c, i) => {
    suite.checkPoint(fromHex(c), `body.commitment.${i}`);
  });
  // The proof of knowledge is a Schnorr signature of the suite; the other guardians' library verifies it in round 2.
  if (fromHex(body.proofOfKnowledge).length !== suite.signatureBytes) {
    throw new AppError("invalid_length", "proofOfKnowledge has the wrong length", {
      errors: [{ path: "body.proofOfKnowledge", message: `must be ${suite.signatureBytes} bytes` }],
    });
  }
  return [
    {
      type: "DkgRound1Submitted",
      data: {
        vaultId: v.vaultId,
        userId,
        identifier: g.identifier,
        commitment: body.commitment.map((c) => c.toLowerCase()),
        proofOfKnowledge: body.proofOfKnowledge.toLowerCase(),
      },
    },
  ];
}

function round2(v: VaultState, userId: string, body: DkgRound2): NewEvent[] {
  const g = requireGuardian(v, userId);
  const others = activeGuardians(v).filter((o) => o.userId !== userId);
  if (Object.keys(v.dkg.round1).length !== v.size)
    throw dkgState("Round 2 starts once every round-1 package is in");
  if (v.dkg.round2[userId]) throw new AppError("already_submitted", "Your round-2 packages are already in");
  const to = body.packages.map((p) => p.to.toLowerCase());
  const want = others.map((o) => o.userId).sort();
  if (new Set(to).size !== to.length || [...to].sort().join() !== want.join()) {
    throw new AppError("validation_failed", "Send exactly one package to each other guardian", {
      errors: [{ path: "body.packages", message: "must address each other guardian exactly once" }],
    });
  }
  body.packages.forEach((p, i) => {
    // Nonce + a 32-byte share + an AEAD tag at the least; more than that is padding we do not want.
    if (p.ciphertext.length / 2 < 32 || p.ciphertext.length / 2 > 1024) {
      throw new AppError("invalid_length", "ciphertext length out of range", {
        errors: [{ path: `body.packages.${i}.ciphertext`, message: "must be 32 to 1024 bytes" }],
      });
    }
  });
  return [
    {
      type: "DkgRound2Submitted",
      data: {
        vaultId: v.vaultId,
        userId,
        identifier: g.identifier,
        packages: body.packages.map((p) => ({
          to: p.to.toLowerCase(),
          ciphertext: p.ciphertext.toLowerCase(),
        })),
      },
    },
  ];
}

const samePackage = (a: PublicPackage, b: PublicPackage) =>
  a.commitments.join() === b.commitments.join() &&
  JSON.stringify(Object.entries(a.verifyingShares).sort()) ===
    JSON.stringify(Object.entries(b.verifyingShares).sort());

function round3(v: VaultState, userId: string, body: PublicPackageInput): NewEvent[] {
  requireGuardian(v, userId);
  if (Object.keys(v.dkg.round2).length !== v.size)
    throw dkgState("Round 3 starts once every round-2 package is in");
  if (v.dkg.round3[userId]) throw new AppError("already_submitted", "Your public key package is already in");
  const pkg = normalizePackage(body);
  const guardians = activeGuardians(v);
  checkPublicPackage(
    suiteOf(v.ciphersuite),
    pkg,
    guardians.map((g) => g.identifier),
    v.threshold,
  );
  const submitted: NewEvent = { type: "DkgRound3Submitted", data: { vaultId: v.vaultId, userId, ...pkg } };
  const all = { ...v.dkg.round3, [userId]: pkg };
  const packages = Object.values(all);
  if (packages.some((p) => !samePackage(p, pkg))) {
    return [
      submitted,
      { type: "DkgFailed", data: { vaultId: v.vaultId, reason: "public key packages disagree" } },
    ];
  }
  if (packages.length < v.size) return [submitted];
  return [submitted, keyEstablished(v, pkg, "dkg")];
}

/** One DKG step for the calling guardian. A disagreement is recorded, then answered 409 `dkg_disagreement`. */
export async function runDkgRound(
  deps: CustodyDeps,
  auth: Caller,
  vaultId: string,
  input: DkgInput,
  meta: EventMetadata,
): Promise<VaultState> {
  await assertVaultAccess(deps.db, auth, vaultId);
  const vault = await onVault(
    deps,
    vaultId,
    (v) => {
      ready(v);
      if (input.round === 1) return round1(v, auth.userId, input.body);
      if (input.round === 2) return round2(v, auth.userId, input.body);
      return round3(v, auth.userId, input.body);
    },
    meta,
  );
  if (input.round === 3 && vault.status === "pending_keygen" && !vault.dkg.round3[auth.userId]) {
    throw new AppError(
      "dkg_disagreement",
      "The guardians' public key packages disagree: the DKG starts over",
    );
  }
  return vault;
}
