/** Typed failures of the event log; src/http/errors.ts maps them onto problem+json. */

export class ConcurrencyError extends Error {
  override readonly name = "ConcurrencyError";
  constructor(
    readonly streamId: string,
    readonly expected: string,
    detail?: string,
  ) {
    super(detail ?? `stream ${streamId} is not at the expected version ${expected}`);
  }
}

export interface EventIssue {
  path: string;
  message: string;
}

/** An event that does not match its catalogue schema: refused, never stored. */
export class EventValidationError extends Error {
  override readonly name = "EventValidationError";
  constructor(
    readonly eventType: string,
    readonly issues: EventIssue[],
  ) {
    super(
      `invalid ${eventType} event: ${issues.map((i) => `${i.path || "(root)"} ${i.message}`).join("; ")}`,
    );
  }
}

export class UnknownEventTypeError extends Error {
  override readonly name = "UnknownEventTypeError";
  constructor(readonly eventType: string) {
    super(`event type ${eventType} is not in the catalogue`);
  }
}
