/** @vigil/client: the typed Vigil API client. See README.md. */
export {
  createVigilClient,
  type LoginResult,
  type SecondFactor,
  type TokenPair,
  type Tokens,
  type User,
  unwrap,
  VigilClient,
  type VigilClientOptions,
} from "./client.ts";
export {
  type FieldIssue,
  type Problem,
  type ProblemCode,
  RefreshTokenReusedError,
  SessionEndedError,
  VigilError,
} from "./errors.ts";
export type { components, operations, paths } from "./schema.d.ts";
