/**
 * What a middleware can answer, recorded on the middleware function itself, so
 * /openapi.json is completed from the handlers actually mounted on each route
 * (src/http/openapi.ts) instead of from lists kept by hand that drift:
 * a rate limiter adds 429, the auth middleware adds 401 and its credentials
 * (security schemes), a permission guard adds 403.
 */
export interface Answers {
  /** HTTP statuses this middleware can answer with on its own. */
  statuses?: readonly number[];
  /** OpenAPI security requirements it accepts (alternatives), e.g. [["bearerAuth"], ["apiKey"]]. */
  security?: readonly (readonly string[])[];
}

// biome-ignore lint/complexity/noBannedTypes: any middleware or handler function.
const ANSWERS = new WeakMap<Function, Answers>();

/** Records what `handler` can answer; returns it unchanged. */
// biome-ignore lint/complexity/noBannedTypes: any middleware or handler function.
export function declareAnswers<F extends Function>(handler: F, answers: Answers): F {
  const prev = ANSWERS.get(handler);
  ANSWERS.set(handler, {
    statuses: [...(prev?.statuses ?? []), ...(answers.statuses ?? [])],
    ...((answers.security ?? prev?.security) ? { security: answers.security ?? prev?.security } : {}),
  });
  return handler;
}

// biome-ignore lint/complexity/noBannedTypes: any middleware or handler function.
export function answersOf(handler: Function): Answers | undefined {
  return ANSWERS.get(handler);
}
