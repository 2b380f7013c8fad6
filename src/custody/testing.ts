/**
 * Test support: a guardian's client, doing on its own side what a real
 * guardian device does: the library's DKG rounds, round-2 packages encrypted
 * to the recipient's X25519 transport key (ECDH, HKDF-SHA-256, AES-256-GCM),
 * nonce commitments and signature shares. Vigil sees only what it sends.
 * Not imported by runtime code.
 */
import type {
  DKG_Round1,
  DKG_Secret,
  FrostPublic,
  FrostSecret,
  GenNonce,
} from "@noble/curves/abstract/frost.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { systemMeta } from "../../test/fixtures/events.ts";
import { fromHex, toHex } from "./hex.ts";
import { type Ciphersuite, SUITES } from "./suites.ts";

// biome-ignore lint/suspicious/noExplicitAny: tests probe response bodies freely.
export type Json = Record<string, any>;
export type Call = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: Json }>;

const enc = new TextEncoder();

async function aesKey(mySecret: Uint8Array, theirPublic: Uint8Array, info: string) {
  const shared = x25519.getSharedSecret(mySecret, theirPublic);
  const raw = hkdf(sha256, shared, undefined, enc.encode(info), 32);
  return crypto.subtle.importKey("raw", new Uint8Array(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** The transport encryption of docs/custody.md: nonce(12) ‖ AES-256-GCM(key, share), key from X25519 + HKDF. */
export async function sealFor(
  mySecret: Uint8Array,
  theirPublic: Uint8Array,
  info: string,
  plain: Uint8Array,
) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: "AES-GCM", iv },
      await aesKey(mySecret, theirPublic, info),
      new Uint8Array(plain),
    ),
  );
  const out = new Uint8Array(12 + ct.length);
  out.set(iv);
  out.set(ct, 12);
  return toHex(out);
}

export async function openFrom(mySecret: Uint8Array, theirPublic: Uint8Array, info: string, hex: string) {
  const b = fromHex(hex);
  const key = await aesKey(mySecret, theirPublic, info);
  return new Uint8Array(
    await crypto.subtle.decrypt({ name: "AES-GCM", iv: b.slice(0, 12) }, key, b.slice(12)),
  );
}

const infoFor = (vaultId: string, from: string, to: string) =>
  `vigil-custody-dkg-v1|${vaultId}|${from}|${to}`;

export class GuardianClient {
  readonly transport = x25519.keygen();
  userId = "";
  identifier = "";
  private dkg?: DKG_Secret;
  private round1Others: DKG_Round1[] = [];
  key?: { public: FrostPublic; secret: FrostSecret };
  /** Nonces by transaction id and round: used once, then dropped. */
  readonly nonces = new Map<string, GenNonce>();

  constructor(
    readonly call: Call,
    readonly suite: Ciphersuite,
  ) {}

  get frost() {
    return SUITES[this.suite].frost;
  }

  async redeem(code: string) {
    const res = await this.call("POST", "/v1/custody/invitations/redeem", {
      code,
      transportPublicKey: toHex(this.transport.publicKey),
    });
    if (res.status === 200) {
      const me = (res.body.guardians as Json[]).find(
        (g) => g.transportPublicKey === toHex(this.transport.publicKey),
      )!;
      this.userId = me.userId;
      this.identifier = me.identifier;
    }
    return res;
  }

  async dkgRound1(vaultId: string, t: number, n: number) {
    const r = this.frost.DKG.round1(this.identifier, { min: t, max: n });
    this.dkg = r.secret;
    return this.call("POST", `/v1/custody/vaults/${vaultId}/dkg/1`, {
      commitment: r.public.commitment.map(toHex),
      proofOfKnowledge: toHex(r.public.proofOfKnowledge),
    });
  }

  async dkgRound2(vaultId: string) {
    const view = (await this.call("GET", `/v1/custody/vaults/${vaultId}/dkg`)).body;
    this.round1Others = (view.round1 as Json[])
      .filter((p) => p.userId !== this.userId)
      .map((p) => ({
        identifier: p.identifier,
        commitment: (p.commitment as string[]).map(fromHex),
        proofOfKnowledge: fromHex(p.proofOfKnowledge),
      }));
    const out = this.frost.DKG.round2(this.dkg!, this.round1Others);
    const packages = [];
    for (const g of view.guardians as Json[]) {
      if (g.userId === this.userId) continue;
      const pkg = out[g.identifier]!;
      const ciphertext = await sealFor(
        this.transport.secretKey,
        fromHex(g.transportPublicKey),
        infoFor(vaultId, this.userId, g.userId),
        pkg.signingShare,
      );
      packages.push({ to: g.userId, ciphertext });
    }
    return this.call("POST", `/v1/custody/vaults/${vaultId}/dkg/2`, { packages });
  }

  async dkgRound3(vaultId: string) {
    const view = (await this.call("GET", `/v1/custody/vaults/${vaultId}/dkg`)).body;
    const guardians = view.guardians as Json[];
    const received = [];
    for (const p of view.round2.forYou as Json[]) {
      const sender = guardians.find((g) => g.userId === p.from)!;
      const share = await openFrom(
        this.transport.secretKey,
        fromHex(sender.transportPublicKey),
        infoFor(vaultId, p.from, this.userId),
        p.ciphertext,
      );
      received.push({ identifier: sender.identifier, signingShare: share });
    }
    this.key = this.frost.DKG.round3(this.dkg!, this.round1Others, received);
    return this.call("POST", `/v1/custody/vaults/${vaultId}/dkg/3`, {
      commitments: this.key.public.commitments.map(toHex),
      verifyingShares: Object.fromEntries(
        Object.entries(this.key.public.verifyingShares).map(([id, v]) => [id, toHex(v)]),
      ),
    });
  }

  async commit(txId: string, round: number) {
    const n = this.frost.commit(this.key!.secret);
    this.nonces.set(`${txId}/${round}`, n);
    return this.call("POST", `/v1/custody/transactions/${txId}/commitments`, {
      hiding: toHex(n.commitments.hiding),
      binding: toHex(n.commitments.binding),
    });
  }

  /** The share over the signing package Vigil issued (message and commitments from GET /transactions/{id}). */
  async share(txId: string, opts: { cheat?: boolean } = {}) {
    const tx = (await this.call("GET", `/v1/custody/transactions/${txId}`)).body;
    const nonces = this.nonces.get(`${txId}/${tx.round.number}`)!;
    const list = (tx.round.commitments as Json[]).map((c) => ({
      identifier: c.identifier,
      hiding: fromHex(c.hiding),
      binding: fromHex(c.binding),
    }));
    // A cheater signs something else with the same nonces: a well-formed share that does not verify.
    const message = opts.cheat ? enc.encode("something else") : fromHex(tx.message);
    const share = this.frost.signShare(this.key!.secret, this.key!.public, nonces.nonces, list, message);
    return this.call("POST", `/v1/custody/transactions/${txId}/shares`, { share: toHex(share) });
  }
}

/** JSON over `app.request` as one caller (a bearer token), from one client address. */
export function caller(
  app: { request: (p: string, i: RequestInit, env?: unknown) => Response | Promise<Response> },
  token?: string,
  ip = "198.51.100.7",
): Call {
  return async (method, path, body) => {
    const res = await app.request(
      path,
      {
        method,
        headers: {
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      },
      { remoteAddr: { hostname: ip } },
    );
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Json) : {} };
  };
}

/** An account with these roles, registered through the log, then signed in over HTTP. */
export async function signedInUser(
  deps: {
    store: { append: (...a: never[]) => Promise<unknown> };
    auth?: { passwords: { hash(p: string): Promise<string> } };
  },
  app: Parameters<typeof caller>[0],
  email: string,
  roles: string[] = ["user"],
): Promise<{ userId: string; token: string; call: Call }> {
  const password = "plum-harbour-velvet-42";
  const userId = crypto.randomUUID();
  const append = deps.store.append as unknown as (
    s: string,
    v: "no_stream",
    e: { type: string; data: unknown }[],
    m: unknown,
  ) => Promise<unknown>;
  await append(
    `user-${userId}`,
    "no_stream",
    [
      {
        type: "UserRegistered",
        data: {
          userId,
          email,
          displayName: null,
          roles,
          passwordHash: await deps.auth!.passwords.hash(password),
        },
      },
    ],
    systemMeta,
  );
  const login = await caller(app)("POST", "/v1/auth/login", { email, password });
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.accessToken as string;
  return { userId, token, call: caller(app, token) };
}

/**
 * A vault with its key: the admin creates it and invites each guardian, each
 * redeems the emailed code (`codeFor`), then the three DKG rounds run.
 */
export async function vaultWithKey(
  admin: Call,
  guardians: GuardianClient[],
  emails: string[],
  codeFor: (email: string) => Promise<string>,
  opts: { suite?: Ciphersuite; threshold?: number; name?: string } = {},
): Promise<string> {
  const suite = opts.suite ?? "ed25519";
  const t = opts.threshold ?? 2;
  const created = await admin("POST", "/v1/custody/vaults", {
    name: opts.name ?? "Treasury",
    ciphersuite: suite,
    threshold: t,
    participants: guardians.length,
  });
  if (created.status !== 201)
    throw new Error(`create vault: ${created.status} ${JSON.stringify(created.body)}`);
  const vaultId = created.body.id as string;
  for (const [i, g] of guardians.entries()) {
    const inv = await admin("POST", `/v1/custody/vaults/${vaultId}/invitations`, { email: emails[i] });
    if (inv.status !== 202) throw new Error(`invite: ${inv.status} ${JSON.stringify(inv.body)}`);
    const r = await g.redeem(await codeFor(emails[i]!));
    if (r.status !== 200) throw new Error(`redeem: ${r.status} ${JSON.stringify(r.body)}`);
  }
  for (const step of ["dkgRound1", "dkgRound2", "dkgRound3"] as const) {
    for (const g of guardians) {
      const r =
        step === "dkgRound1" ? await g.dkgRound1(vaultId, t, guardians.length) : await g[step](vaultId);
      if (r.status !== 200) throw new Error(`${step}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }
  return vaultId;
}
