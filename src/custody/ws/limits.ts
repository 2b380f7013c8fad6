/**
 * Per-connection limits, pure and clock-driven so they are unit-testable:
 * a token bucket for messages per second, and a strike counter that turns
 * repeated abuse (malformed, oversized, unknown, too frequent messages) into a
 * closed socket.
 */

/** `perSecond` messages a second on average, bursts up to `burst`. */
export class MessageBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the connection is over its rate. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = Math.max(this.last, now);
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.perSecond);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Counts strikes in a sliding window; `strike` says whether the limit is now reached. */
export class Strikes {
  private readonly at: number[] = [];
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  strike(now: number): boolean {
    this.at.push(now);
    while (this.at.length > 0 && this.at[0]! <= now - this.windowMs) this.at.shift();
    return this.at.length >= this.limit;
  }

  get count(): number {
    return this.at.length;
  }
}
