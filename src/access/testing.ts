/**
 * Test support for access control, API keys, two-factor and the admin API:
 * the identity harness with the access feature mounted, users of given roles,
 * and two-factor switched on. Not imported by runtime code.
 */
import type { Db } from "../../db/client.ts";
import { systemMeta as meta } from "../../test/fixtures/events.ts";
import { type App, createApp } from "../app.ts";
import { features } from "../features.ts";
import {
  client,
  type IdentityHarness,
  identityHarness,
  PASSWORD,
  type TestClock,
} from "../identity/testing.ts";
import { userById, userStream } from "../identity/user.ts";
import { codeAt } from "../mfa/totp.ts";
import type { Role } from "./permissions.ts";
import { principalsFor } from "./principals.ts";

export interface AccessHarness extends IdentityHarness {
  app: App;
  api: ReturnType<typeof client>;
}

export async function accessHarness(
  opts: { env?: Record<string, string>; db?: Db; clock?: TestClock } = {},
): Promise<AccessHarness> {
  const h = await identityHarness(opts);
  // Every feature, as the entries mount them: the matrix covers every guarded route.
  const app = createApp(h.deps, features);
  return { ...h, app, api: client(app) };
}

export interface TestUser {
  userId: string;
  email: string;
  token: string;
  refreshToken: string;
}

/** Sets a user's roles exactly, through the same events the admin API appends. */
export async function setRoles(h: IdentityHarness, userId: string, roles: readonly Role[]): Promise<void> {
  const user = await userById(h.db, userId);
  if (!user) throw new Error("no such user");
  const events = [
    ...roles
      .filter((r) => !user.roles.includes(r))
      .map((role) => ({ type: "UserRoleGranted", data: { userId, role, reason: "test" } })),
    ...user.roles
      .filter((r) => !(roles as readonly string[]).includes(r))
      .map((role) => ({ type: "UserRoleRevoked", data: { userId, role, reason: "test" } })),
  ];
  if (events.length) await h.deps.store.append(userStream(userId), user.version, events, meta);
  principalsFor(h.deps).invalidate(userId);
}

/** Registers, sets the roles, logs in. */
export async function userWithRoles(
  h: AccessHarness,
  email: string,
  roles: readonly Role[] = ["user"],
): Promise<TestUser> {
  const reg = await h.api.register(email, PASSWORD);
  if (reg.status !== 201) throw new Error(`register ${email}: ${reg.status} ${JSON.stringify(reg.body)}`);
  const userId = reg.body!.id as string;
  await setRoles(h, userId, roles);
  const login = await h.api.login(email, PASSWORD);
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status}`);
  return { userId, email, token: login.body!.accessToken, refreshToken: login.body!.refreshToken };
}

/** Turns two-factor on through the API; returns the secret and the backup codes. */
export async function enableTotpFor(
  h: AccessHarness,
  user: TestUser,
): Promise<{ secret: string; backupCodes: string[] }> {
  const auth = h.api.bearer(user.token);
  const setup = await h.api.call("POST", "/v1/mfa/totp/setup", undefined, auth);
  if (setup.status !== 200) throw new Error(`setup: ${setup.status} ${JSON.stringify(setup.body)}`);
  const secret = setup.body!.secret as string;
  const enable = await h.api.call(
    "POST",
    "/v1/mfa/totp/enable",
    { code: codeAt(secret, h.clock.now().getTime()) },
    auth,
  );
  if (enable.status !== 200) throw new Error(`enable: ${enable.status} ${JSON.stringify(enable.body)}`);
  return { secret, backupCodes: enable.body!.backupCodes };
}

/** Password then code: a fresh session for a user with two-factor on. */
export async function loginWithTotp(
  h: AccessHarness,
  email: string,
  secret: string,
): Promise<TestUser & { sessionId: string }> {
  const first = await h.api.login(email, PASSWORD);
  if (!first.body?.mfaRequired) throw new Error(`expected an MFA challenge, got ${first.status}`);
  const res = await h.api.call("POST", "/v1/auth/mfa/verify", {
    mfaToken: first.body.mfaToken,
    code: codeAt(secret, h.clock.now().getTime()),
  });
  if (res.status !== 200) throw new Error(`verify: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    userId: "",
    email,
    token: res.body!.accessToken,
    refreshToken: res.body!.refreshToken,
    sessionId: res.body!.sessionId,
  };
}
