/**
 * Vigil's one rule for text, in one place.
 *
 * 1. Every string that enters (JSON keys and values at any depth, query
 *    strings, path parameters, headers used as data) must be valid Unicode:
 *    no lone UTF-16 surrogate (canonical JSON and hashing cannot represent it)
 *    and no NUL (Postgres cannot store it). `textIssue` checks one string;
 *    the edge middleware (src/http/middleware/input-rule.ts) applies it to the
 *    whole request, so every route, present and future, is covered.
 * 2. Text people write and other people read (names, reasons, notes, memos,
 *    titles) must also be free of control characters (C0, DEL, C1) and of
 *    bidirectional overrides, which can make a log or an email read other than
 *    it is stored. Schemas say so with `textLine` (one line) or `reasonText`
 *    (may hold line breaks and tabs).
 *
 * The event store applies rule 1 again before hashing, as a last line of defence.
 */
import { z } from "@hono/zod-openapi";
import { textIssue } from "../../events/text.ts";

export {
  findJsonTextProblem,
  MAX_JSON_DEPTH,
  printableKey,
  type TextProblem,
  textIssue,
} from "../../events/text.ts";

/** C0 controls, DEL, C1 controls, and the bidi embeddings, overrides and isolates. */
const CONTROL_OR_BIDI = "\\u0000-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069";
const LINE = new RegExp(`^[^${CONTROL_OR_BIDI}]*$`);
// Line breaks and tabs are the only controls a multi-line text may hold.
const MULTILINE = new RegExp(`^(?:[\\t\\n\\r]|[^${CONTROL_OR_BIDI}])*$`);

const wellFormed = (s: string) => textIssue(s) === undefined;

export interface TextBounds {
  min?: number;
  max: number;
}

/**
 * One line of human text (a display name, an API key name, a title): trimmed,
 * no control characters, no bidi overrides, valid Unicode, within bounds.
 */
export function textLine({ min = 1, max }: TextBounds) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(LINE, { message: "must be one line without control characters or bidi overrides" })
    .refine(wellFormed, { message: "must be valid Unicode without NUL" });
}

/**
 * A reason, note or memo: like `textLine`, but line breaks and tabs are allowed.
 */
export function reasonText({ min = 1, max }: TextBounds) {
  return z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(MULTILINE, { message: "must not contain control characters (other than line breaks and tabs)" })
    .refine(wellFormed, { message: "must be valid Unicode without NUL" });
}

/** Whether `s` holds a control character or a bidi override (for checks outside zod). */
export function hasControlOrBidi(s: string): boolean {
  return !LINE.test(s);
}
