/**
 * Every custody command, as plain functions of (deps, caller, ids, body,
 * metadata). The REST routes call them and so does the WebSocket transport,
 * with the same zod schemas (schemas.ts) and the same AppError codes
 * (src/http/errors.ts): one decider per command, whatever the path.
 *
 * `Caller` is `{ userId, roles }` (the AuthContext); `meta` the EventMetadata
 * of the request or socket message (actor, ip, request id).
 */
export type { Caller, CustodyDeps } from "./context.ts";
export { type DkgInput, runDkgRound } from "./dkg.ts";
export {
  CommitmentBody,
  CreateVaultBody,
  DkgRound1Body,
  DkgRound2Body,
  InviteBody,
  ProposeBody,
  PublicPackageBody,
  ReasonBody,
  RedeemBody,
  ShareBody,
} from "./schemas.ts";
export { cancelTransaction, proposeTransaction, submitCommitment, submitShare } from "./signing.ts";
export { timeoutRound } from "./timeouts.ts";
export {
  changeVaultStatus,
  createVault,
  importKey,
  inviteGuardian,
  redeemInvitation,
  removeGuardian,
} from "./vault-commands.ts";
export {
  dkgView,
  getDkg,
  getTransaction,
  getVault,
  listVaults,
  transactionView,
  vaultView,
} from "./views.ts";
