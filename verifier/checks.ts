/**
 * The verifier's findings. Every check records only its first failure; the
 * report names the failure of the earliest check in CHECK_ORDER, so the
 * message is the most specific one (a tampered event is named as such, not as
 * a file whose SHA-256 no longer matches the manifest).
 */

export const CHECK_ORDER = [
  "bundle",
  "manifest signature",
  "checkpoint",
  "event",
  "coverage",
  "chain",
  "merkle",
  "consistency",
  "previous",
  "manifest files",
] as const;

export type Check = (typeof CHECK_ORDER)[number];

export interface Failure {
  check: Check;
  message: string;
}

export class Findings {
  readonly #first = new Map<Check, string>();

  fail(check: Check, message: string): void {
    if (!this.#first.has(check)) this.#first.set(check, message);
  }

  has(check: Check): boolean {
    return this.#first.has(check);
  }

  first(): Failure | null {
    for (const check of CHECK_ORDER) {
      const message = this.#first.get(check);
      if (message !== undefined) return { check, message };
    }
    return null;
  }
}
