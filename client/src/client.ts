/**
 * The Vigil client: the generated, typed `openapi-fetch` client plus what a
 * caller should not have to write by hand.
 *
 * - Credentials: it holds the session's tokens (or an API key) and sends them
 *   on the operations whose security says so (generated from the document).
 * - Refresh: an access token that expired is refreshed once, and every caller
 *   waiting on it shares that one refresh (single-flight); the request is then
 *   sent again. A refresh token presented twice makes Vigil revoke the session
 *   family: that surfaces as RefreshTokenReusedError and the tokens are dropped.
 * - Errors: problem+json answers become VigilError with the stable `code`.
 *
 * Only `fetch`, `Request`, `Response` and `Headers`: it runs in Node 18+,
 * Deno, Bun and browsers.
 */
import createFetchClient, { type Client, type Middleware } from "openapi-fetch";
import { errorFrom, SessionEndedError, VigilError } from "./errors.ts";
import type { components, paths } from "./schema.d.ts";
import { SECURED } from "./security.ts";

type Schemas = components["schemas"];
export type User = Schemas["User"];
export type TokenPair = Schemas["TokenPair"];

/** What the client keeps of a session. Persist it (onTokens) to survive a reload. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  sessionId?: string;
  /** When the access token expires, in ms since the epoch (from `expiresIn`). */
  expiresAt?: number;
}

export interface VigilClientOptions {
  /** Where Vigil answers, e.g. `https://vigil.example.com`. */
  baseUrl: string;
  /** A session to resume. */
  tokens?: Tokens | null;
  /** An API key (`mk_…`), sent as `X-API-Key` on the operations that take one. */
  apiKey?: string;
  /** Called whenever the tokens change (login, refresh, logout, a revoked family): store them. */
  onTokens?: (tokens: Tokens | null) => void;
  /** A device token from an earlier login (see LoginResponse.deviceToken). */
  deviceToken?: string;
  /** Custom fetch (tests, instrumentation). */
  fetch?: (request: Request) => Promise<Response>;
  /** Refresh this many seconds before the access token expires (default 10). */
  refreshEarlySeconds?: number;
  /** Clock, in ms since the epoch (tests). */
  now?: () => number;
}

export type LoginResult =
  | { mfaRequired: false; user?: undefined; tokens: Tokens }
  | { mfaRequired: true; mfaToken: string; expiresIn: number };

export type SecondFactor = { code: string } | { backupCode: string };

type Fetched<T> = { data?: T; error?: unknown; response: Response };

/** The operation's data, or a VigilError for an error answer. */
export async function unwrap<T>(pending: Promise<Fetched<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw await errorFrom(response, error);
  return data as T;
}

export class VigilClient {
  /** The typed client: every operation of /openapi.json, with credentials and refresh applied. */
  readonly api: Client<paths>;
  private current: Tokens | null;
  private inflight: Promise<void> | null = null;
  private deviceToken: string | undefined;
  private readonly fetchImpl: (request: Request) => Promise<Response>;
  private readonly opts: VigilClientOptions;
  private readonly now: () => number;

  constructor(opts: VigilClientOptions) {
    this.opts = opts;
    this.current = opts.tokens ?? null;
    this.deviceToken = opts.deviceToken;
    this.now = opts.now ?? Date.now;
    this.fetchImpl = opts.fetch ?? ((request) => globalThis.fetch(request));
    this.api = createFetchClient<paths>({ baseUrl: opts.baseUrl, fetch: this.fetchImpl });
    this.api.use(this.credentials());
  }

  /** The session's tokens, or null when signed out. */
  get tokens(): Tokens | null {
    return this.current;
  }

  setTokens(tokens: Tokens | null): void {
    this.current = tokens;
    this.opts.onTokens?.(tokens);
  }

  /** Creates an account. The password must meet the policy (12–128 characters...): `password_policy`. */
  register(body: { email: string; password: string; displayName?: string }): Promise<User> {
    return unwrap(this.api.POST("/v1/auth/register", { body }));
  }

  /** Signs in; with two-factor on, returns the challenge for verifyMfa instead. */
  async login(email: string, password: string): Promise<LoginResult> {
    const answer = await unwrap(
      this.api.POST("/v1/auth/login", {
        body: { email, password },
        params: { header: this.deviceToken ? { "x-device-token": this.deviceToken } : {} },
      }),
    );
    if ("mfaRequired" in answer && answer.mfaRequired) {
      return { mfaRequired: true, mfaToken: answer.mfaToken, expiresIn: answer.expiresIn };
    }
    const pair = answer as Schemas["LoginResponse"];
    this.deviceToken = pair.deviceToken;
    return { mfaRequired: false, tokens: this.keep(pair) };
  }

  /** The login's second step: a TOTP code or a backup code. */
  async verifyMfa(mfaToken: string, proof: SecondFactor): Promise<Tokens> {
    const pair = await unwrap(this.api.POST("/v1/auth/mfa/verify", { body: { mfaToken, ...proof } }));
    return this.keep(pair as TokenPair);
  }

  /** The signed-in user. */
  me(): Promise<User> {
    return unwrap(this.api.GET("/v1/auth/me"));
  }

  /** Ends this session on the server and drops the tokens. */
  async logout(): Promise<void> {
    try {
      if (this.current) await unwrap(this.api.POST("/v1/auth/logout"));
    } finally {
      this.setTokens(null);
    }
  }

  /** Refreshes now (normally automatic). */
  refresh(): Promise<void> {
    return this.refreshOnce(this.current?.accessToken);
  }

  private keep(pair: {
    accessToken: string;
    refreshToken: string;
    sessionId?: string;
    expiresIn?: number;
  }): Tokens {
    const tokens: Tokens = {
      accessToken: pair.accessToken,
      refreshToken: pair.refreshToken,
      ...(pair.sessionId ? { sessionId: pair.sessionId } : {}),
      ...(pair.expiresIn ? { expiresAt: this.now() + pair.expiresIn * 1000 } : {}),
    };
    this.setTokens(tokens);
    return tokens;
  }

  /**
   * One refresh for everyone who saw `used` expire: a caller that arrives while
   * it runs waits for it, and one that arrives after it (its token already
   * replaced) just retries with the new token.
   */
  private refreshOnce(used: string | undefined): Promise<void> {
    if (this.current && used !== undefined && this.current.accessToken !== used) return Promise.resolve();
    this.inflight ??= this.runRefresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async runRefresh(): Promise<void> {
    const refreshToken = this.current?.refreshToken;
    if (!refreshToken) {
      throw new SessionEndedError(401, { code: "unauthorized", detail: "Not signed in" });
    }
    const url = `${this.opts.baseUrl.replace(/\/$/, "")}/v1/auth/refresh`;
    let response: Response;
    try {
      response = await this.fetchImpl(
        new Request(url, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refreshToken }),
        }),
      );
    } catch (err) {
      throw new VigilError(0, { code: "network_error", detail: String(err) });
    }
    if (response.ok) {
      this.keep((await response.json()) as TokenPair);
      return;
    }
    const err = await errorFrom(response);
    // Rate limited or unavailable: the session is still good, try again later.
    if (response.status !== 401) throw err;
    this.setTokens(null);
    if (err.code === "refresh_token_reused") throw err;
    throw new SessionEndedError(err.status, { ...err.problem });
  }

  /** openapi-fetch middleware: credentials on secured operations; one refresh and a retry on token_expired. */
  private credentials(): Middleware {
    const pending = new Map<string, { retry: Request; used: string }>();
    return {
      onRequest: async ({ request, schemaPath, id }) => {
        const schemes = SECURED[`${request.method} ${schemaPath}`];
        if (!schemes || request.headers.has("Authorization") || request.headers.has("X-API-Key")) return;
        if (this.opts.apiKey && schemes.includes("apiKey")) {
          request.headers.set("X-API-Key", this.opts.apiKey);
          return request;
        }
        if (!schemes.includes("bearerAuth") || !this.current) return;
        const early = (this.opts.refreshEarlySeconds ?? 10) * 1000;
        if (this.current.expiresAt !== undefined && this.current.expiresAt - early <= this.now()) {
          await this.refreshOnce(this.current.accessToken);
        }
        const token = this.current!.accessToken;
        request.headers.set("Authorization", `Bearer ${token}`);
        pending.set(id, { retry: request.clone(), used: token });
        return request;
      },
      onResponse: async ({ response, id }) => {
        const sent = pending.get(id);
        pending.delete(id);
        if (!sent || response.status !== 401) return;
        const problem = (await response
          .clone()
          .json()
          .catch(() => null)) as { code?: string } | null;
        if (problem?.code !== "token_expired") return;
        await this.refreshOnce(sent.used);
        sent.retry.headers.set("Authorization", `Bearer ${this.current!.accessToken}`);
        return this.fetchImpl(sent.retry);
      },
      onError: ({ id }) => {
        pending.delete(id);
      },
    };
  }
}

export function createVigilClient(opts: VigilClientOptions): VigilClient {
  return new VigilClient(opts);
}
