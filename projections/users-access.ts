/**
 * The `users` projection's cases for access-control events on the user stream
 * (roles and account status; events/catalog/admin.ts). Kept beside users.ts,
 * which spreads them into its handlers: every user-stream event must move
 * `users.version`.
 */
import type { Sql } from "../db/client.ts";
import type { UserRoleGranted, UserRoleRevoked } from "../events/catalog/admin.ts";
import type { EventOf } from "../events/catalog/index.ts";
import { ERASED } from "../events/pii.ts";
import type { StoredEvent } from "../events/types.ts";

export const ACCESS_USER_EVENTS = [
  "UserRoleGranted",
  "UserRoleRevoked",
  "UserDisabled",
  "UserEnabled",
  "UserErased",
] as const;

type Handler = (sql: Sql, e: StoredEvent, userId: string) => Promise<void>;

const set = (sql: Sql, e: StoredEvent, userId: string, assignment: string, param?: unknown) =>
  sql.query(`UPDATE users SET version = $2, ${assignment} WHERE user_id = $1`, [
    userId,
    e.streamVersion,
    ...(param === undefined ? [] : [param]),
  ]);

export const accessUserHandlers: Record<(typeof ACCESS_USER_EVENTS)[number], Handler> = {
  async UserRoleGranted(sql, e, id) {
    const { role } = e.data as EventOf<typeof UserRoleGranted>["data"];
    await set(
      sql,
      e,
      id,
      "roles = CASE WHEN roles @> jsonb_build_array($3::text) THEN roles ELSE roles || jsonb_build_array($3::text) END",
      role,
    );
  },
  async UserRoleRevoked(sql, e, id) {
    const { role } = e.data as EventOf<typeof UserRoleRevoked>["data"];
    await set(
      sql,
      e,
      id,
      "roles = coalesce((SELECT jsonb_agg(r) FROM jsonb_array_elements(roles) AS r WHERE r <> to_jsonb($3::text)), '[]'::jsonb)",
      role,
    );
  },
  UserDisabled: async (sql, e, id) => {
    await set(sql, e, id, "status = 'disabled'");
  },
  UserEnabled: async (sql, e, id) => {
    await set(sql, e, id, "status = 'active'");
  },
  // What a rebuild reads from the log once the key is gone: `[erased]` in
  // place of every sealed value. Written here too, so live equals rebuilt.
  async UserErased(sql, e, id) {
    await set(
      sql,
      e,
      id,
      `status = 'disabled', email = '${ERASED}', display_name = CASE WHEN display_name IS NULL THEN NULL ELSE '${ERASED}' END`,
    );
    await sql.query(
      `UPDATE sessions SET ip = CASE WHEN ip IS NULL THEN NULL ELSE '${ERASED}' END,
              user_agent = CASE WHEN user_agent IS NULL THEN NULL ELSE '${ERASED}' END WHERE user_id = $1`,
      [id],
    );
    await sql.query(`UPDATE email_tokens SET email = '${ERASED}' WHERE user_id = $1`, [id]);
  },
};
