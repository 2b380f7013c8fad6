/** What every console page is rendered with: the request's nonce and CSRF token, who is signed in, what they may do. */
import { can, hasPermission } from "../access/permissions.ts";
import type { AuthContext } from "../http/env.ts";

export interface View {
  nonce: string;
  /** This session's CSRF token (src/console/csrf.ts), for every form. */
  csrf: string;
  path: string;
  roles: readonly string[];
  /** Actions on users (admin:users:write, two-factor on): the buttons are only drawn when true. */
  canManageUsers: boolean;
  /** Actions on alerts and bans (security:write, two-factor on). */
  canManageSecurity: boolean;
  nav: { href: string; label: string }[];
  /** A one-line result of the last action (after a redirect). */
  notice?: string | undefined;
}

/** The pages in the navigation, each shown to the roles whose permission reads it. */
const PAGES = [
  { href: "/console", label: "Overview", permission: "console:read" },
  { href: "/console/tail", label: "Live tail", permission: "console:read" },
  { href: "/console/alerts", label: "Alerts", permission: "console:read" },
  { href: "/console/users", label: "Users", permission: "console:read" },
  { href: "/console/bans", label: "IP bans", permission: "console:read" },
  { href: "/console/custody", label: "Custody", permission: "custody:read" },
  { href: "/console/governance", label: "Governance", permission: "governance:read" },
  { href: "/console/ledger", label: "Ledger", permission: "audit:read" },
] as const;

export function viewFor(
  auth: AuthContext,
  opts: { nonce: string; csrf: string; path: string; notice?: string | undefined },
): View {
  const admin = (p: Parameters<typeof can>[1]) => can(auth, p) && !auth.needsSecondFactor;
  return {
    ...opts,
    roles: auth.roles,
    canManageUsers: admin("admin:users:write"),
    canManageSecurity: admin("security:write"),
    nav: PAGES.filter((p) => hasPermission(auth.roles, p.permission)).map(({ href, label }) => ({
      href,
      label,
    })),
  };
}
