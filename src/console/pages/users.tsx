/** Users: search by email prefix, role and status; one user with every action (each with a reason). */
import { ROLES } from "../../access/permissions.ts";
import type { searchUsers, userDetail } from "../../admin/queries.ts";
import type { View } from "../view.ts";
import { ActionForm, Layout, when } from "./layout.tsx";

type Listed = Awaited<ReturnType<typeof searchUsers>>["users"][number];
type Detail = Awaited<ReturnType<typeof userDetail>>;

export function UsersPage(props: {
  view: View;
  users: Listed[];
  q: { email?: string | undefined; role?: string | undefined; status?: string | undefined };
}) {
  const { q } = props;
  return (
    <Layout view={props.view} title="Users">
      <form method="get" action="/console/users" class="filters" aria-label="Search users">
        <span class="field">
          <label for="q-email">Email starts with</label>
          <input id="q-email" name="email" type="search" value={q.email} maxlength={254} />
        </span>
        <span class="field">
          <label for="q-role">Role</label>
          <select id="q-role" name="role">
            <option value="">any</option>
            {ROLES.map((r) => (
              <option value={r} selected={r === q.role}>
                {r}
              </option>
            ))}
          </select>
        </span>
        <span class="field">
          <label for="q-status">Status</label>
          <select id="q-status" name="status">
            <option value="">any</option>
            {["active", "disabled"].map((s) => (
              <option value={s} selected={s === q.status}>
                {s}
              </option>
            ))}
          </select>
        </span>
        <button type="submit">Search</button>
      </form>
      {props.users.length === 0 ? (
        <p>No user matches.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col" class="hide-narrow">
                  Two-factor
                </th>
              </tr>
            </thead>
            <tbody>
              {props.users.map((u) => (
                <tr data-user={u.id}>
                  <td>
                    <a href={`/console/users/${u.id}`}>{u.email}</a>
                  </td>
                  <td>{u.roles.join(", ")}</td>
                  <td>
                    {u.status}
                    {u.lockedUntil && new Date(u.lockedUntil) > new Date() ? " (locked)" : ""}
                  </td>
                  <td class="hide-narrow">{u.mfaEnabled ? "on" : "off"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Layout>
  );
}

export function UserPage(props: { view: View; user: Detail }) {
  const { view, user: u } = props;
  const base = `/console/users/${u.id}`;
  const grantable = ROLES.filter((r) => !u.roles.includes(r));
  return (
    <Layout view={view} title={u.email}>
      <dl class="facts">
        <dt>Name</dt>
        <dd>{u.displayName ?? "—"}</dd>
        <dt>Roles</dt>
        <dd data-roles>{u.roles.join(", ")}</dd>
        <dt>Status</dt>
        <dd data-status>{u.status}</dd>
        <dt>Lockout</dt>
        <dd data-lockout>
          {u.lockout.locked ? "locked until " : "not locked"}
          {u.lockout.locked ? when(u.lockout.lockedUntil) : null}
          {` (${u.lockout.failedLogins} failed attempts counted)`}
        </dd>
        <dt>Two-factor</dt>
        <dd>{u.mfa.totpEnabled ? `on, ${u.mfa.backupCodesRemaining} backup codes left` : "off"}</dd>
        <dt>Email verified</dt>
        <dd>{u.emailVerified ? "yes" : "no"}</dd>
        <dt>Created</dt>
        <dd>{when(u.createdAt)}</dd>
      </dl>

      {view.canManageUsers ? (
        <section aria-labelledby="actions">
          <h2 id="actions">Actions</h2>
          {u.lockout.locked || u.lockout.failedLogins > 0 ? (
            <ActionForm view={view} id="unlock" action={`${base}/unlock`} label="Unlock" />
          ) : null}
          {u.status === "active" ? (
            <ActionForm view={view} id="disable" action={`${base}/disable`} label="Disable account" danger />
          ) : (
            <ActionForm view={view} id="enable" action={`${base}/enable`} label="Enable account" />
          )}
          {grantable.length ? (
            <ActionForm view={view} id="grant" action={`${base}/roles/grant`} label="Grant role">
              <span class="field">
                <label for="grant-role">Role to grant</label>
                <select id="grant-role" name="role">
                  {grantable.map((r) => (
                    <option value={r}>{r}</option>
                  ))}
                </select>
              </span>
            </ActionForm>
          ) : null}
          {u.roles.length ? (
            <ActionForm view={view} id="revoke" action={`${base}/roles/revoke`} label="Revoke role" danger>
              <span class="field">
                <label for="revoke-role">Role to revoke</label>
                <select id="revoke-role" name="role">
                  {u.roles.map((r) => (
                    <option value={r}>{r}</option>
                  ))}
                </select>
              </span>
            </ActionForm>
          ) : null}
          {u.sessions.length ? (
            <ActionForm
              view={view}
              id="sessions"
              action={`${base}/sessions/revoke`}
              label="Revoke all sessions"
              danger
            />
          ) : null}
        </section>
      ) : null}

      <h2>Sessions ({u.sessions.length})</h2>
      {u.sessions.length === 0 ? (
        <p>No open session.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Last seen</th>
                <th scope="col" class="hide-narrow">
                  Address
                </th>
                <th scope="col" class="hide-narrow">
                  Client
                </th>
              </tr>
            </thead>
            <tbody>
              {u.sessions.map((s) => (
                <tr>
                  <td>{when(s.createdAt)}</td>
                  <td>{when(s.lastSeenAt)}</td>
                  <td class="hide-narrow mono">{s.ip ?? "—"}</td>
                  <td class="hide-narrow">{s.userAgent ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>API keys ({u.apiKeys.length})</h2>
      <p>
        <a href="/console/users">All users</a>
      </p>
    </Layout>
  );
}
