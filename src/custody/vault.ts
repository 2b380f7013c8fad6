/**
 * A vault's state, folded from its stream `vault-<uuid>`, and the pure
 * decisions on it. Guardians get FROST identifiers in join order (1, 2, …;
 * numbers are never reused), so an identifier names one guardian for the
 * vault's whole life.
 */
import type { Evolver } from "../../events/handle.ts";
import type { StoredEvent } from "../../events/types.ts";
import { AppError } from "../http/errors.ts";
import type { Ciphersuite } from "./suites.ts";

export type VaultStatus = "pending_keygen" | "active" | "frozen" | "archived";

export interface Guardian {
  userId: string;
  identifier: string;
  transportPublicKey: string;
  joinedAt: string;
  removed: boolean;
}

export interface Invitation {
  invitationId: string;
  codeHash: string;
  expiresAt: string;
  redeemedBy: string | null;
}

export interface DkgState {
  round1: Record<string, { identifier: string; commitment: string[]; proofOfKnowledge: string }>;
  /** sender userId -> recipient userId -> ciphertext */
  round2: Record<string, Record<string, string>>;
  round3: Record<string, PublicPackage>;
  attempt: number;
}

/** A FROST public key package in hex: VSS commitments (the first is the group key) and verifying shares. */
export interface PublicPackage {
  commitments: string[];
  verifyingShares: Record<string, string>;
}

export interface VaultKey extends PublicPackage {
  method: "dkg" | "import";
  groupPublicKey: string;
  verifyingShares: Record<string, string>;
  signers: { userId: string; identifier: string }[];
}

export interface VaultState {
  exists: boolean;
  vaultId: string;
  name: string;
  ciphersuite: Ciphersuite;
  threshold: number;
  size: number;
  status: VaultStatus;
  statusReason: string | null;
  guardians: Guardian[];
  nextIdentifier: number;
  invitations: Record<string, Invitation>;
  dkg: DkgState;
  key: VaultKey | null;
  createdAt: string;
  version: number;
}

const emptyDkg = (attempt = 0): DkgState => ({ round1: {}, round2: {}, round3: {}, attempt });

export const vaultStream = (vaultId: string) => `vault-${vaultId}`;

export const vaultEvolver: Evolver<VaultState> = {
  initialState: () => ({
    exists: false,
    vaultId: "",
    name: "",
    ciphersuite: "ed25519",
    threshold: 0,
    size: 0,
    status: "pending_keygen",
    statusReason: null,
    guardians: [],
    nextIdentifier: 1,
    invitations: {},
    dkg: emptyDkg(),
    key: null,
    createdAt: "",
    version: 0,
  }),
  evolve(s, e: StoredEvent) {
    // biome-ignore lint/suspicious/noExplicitAny: the catalogue validated the data on append.
    const d = e.data as any;
    const next: VaultState = { ...s, version: e.streamVersion };
    switch (e.type) {
      case "VaultCreated":
        return {
          ...next,
          exists: true,
          vaultId: d.vaultId,
          name: d.name,
          ciphersuite: d.ciphersuite,
          threshold: d.threshold,
          size: d.participants,
          createdAt: e.recordedAt.toISOString(),
        };
      case "GuardianInvited":
        return {
          ...next,
          invitations: {
            ...s.invitations,
            [d.invitationId]: {
              invitationId: d.invitationId,
              codeHash: d.codeHash,
              expiresAt: d.expiresAt,
              redeemedBy: null,
            },
          },
        };
      case "GuardianJoined": {
        const inv = s.invitations[d.invitationId];
        return {
          ...next,
          guardians: [
            ...s.guardians,
            {
              userId: d.userId,
              identifier: d.identifier,
              transportPublicKey: d.transportPublicKey,
              joinedAt: e.recordedAt.toISOString(),
              removed: false,
            },
          ],
          nextIdentifier: s.nextIdentifier + 1,
          invitations: inv
            ? { ...s.invitations, [d.invitationId]: { ...inv, redeemedBy: d.userId } }
            : s.invitations,
          // A new participant set: any DKG transcript so far is void.
          dkg: emptyDkg(s.dkg.attempt + 1),
        };
      }
      case "GuardianRemoved":
        return {
          ...next,
          guardians: s.guardians.map((g) => (g.userId === d.userId ? { ...g, removed: true } : g)),
          dkg: s.status === "pending_keygen" ? emptyDkg(s.dkg.attempt + 1) : s.dkg,
        };
      case "DkgRound1Submitted":
        return {
          ...next,
          dkg: {
            ...s.dkg,
            round1: {
              ...s.dkg.round1,
              [d.userId]: {
                identifier: d.identifier,
                commitment: d.commitment,
                proofOfKnowledge: d.proofOfKnowledge,
              },
            },
          },
        };
      case "DkgRound2Submitted":
        return {
          ...next,
          dkg: {
            ...s.dkg,
            round2: {
              ...s.dkg.round2,
              [d.userId]: Object.fromEntries(
                (d.packages as { to: string; ciphertext: string }[]).map((p) => [p.to, p.ciphertext]),
              ),
            },
          },
        };
      case "DkgRound3Submitted":
        return {
          ...next,
          dkg: {
            ...s.dkg,
            round3: {
              ...s.dkg.round3,
              [d.userId]: { commitments: d.commitments, verifyingShares: d.verifyingShares },
            },
          },
        };
      case "DkgFailed":
        return { ...next, dkg: emptyDkg(s.dkg.attempt + 1) };
      case "VaultKeyEstablished":
        return {
          ...next,
          status: "active",
          statusReason: null,
          key: {
            method: d.method,
            groupPublicKey: d.groupPublicKey,
            commitments: d.commitments,
            verifyingShares: d.verifyingShares,
            signers: d.signers,
          },
        };
      case "VaultFrozen":
        return { ...next, status: "frozen", statusReason: d.reason };
      case "VaultUnfrozen":
        return { ...next, status: "active", statusReason: null };
      case "VaultArchived":
        return { ...next, status: "archived", statusReason: d.reason };
      default:
        return next;
    }
  },
};

export const activeGuardians = (v: VaultState) => v.guardians.filter((g) => !g.removed);

export function guardianOf(v: VaultState, userId: string): Guardian | undefined {
  return v.guardians.find((g) => g.userId === userId && !g.removed);
}

/** The guardian making a request, or 403: the caller can see the vault but does not guard it. */
export function requireGuardian(v: VaultState, userId: string): Guardian {
  const g = guardianOf(v, userId);
  if (!g) throw new AppError("not_a_guardian", "You are not a guardian of this vault");
  return g;
}

export function requireStatus(v: VaultState, ...allowed: VaultStatus[]): void {
  if (!allowed.includes(v.status)) {
    throw new AppError("vault_state", `The vault is ${v.status}; this needs it ${allowed.join(" or ")}`, {
      ext: { vaultStatus: v.status },
    });
  }
}

export function requireVault(v: VaultState): VaultState {
  if (!v.exists) throw new AppError("not_found", "No such vault");
  return v;
}
