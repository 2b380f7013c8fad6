/**
 * This instance's authenticated custody sockets, indexed by user and session,
 * and what it does with a bus message: a push goes to the sockets of the
 * listed users, a revocation closes the sockets of those sessions.
 */
import type { BusMessage } from "./bus.ts";
import type { CloseReason } from "./protocol.ts";

export interface HubConnection {
  readonly id: string;
  readonly userId: string;
  readonly sessionId: string;
  deliver(frame: string): void;
  closeWith(reason: CloseReason): void;
}

export class Hub {
  private readonly byUser = new Map<string, Set<HubConnection>>();

  add(c: HubConnection): void {
    const set = this.byUser.get(c.userId) ?? new Set();
    set.add(c);
    this.byUser.set(c.userId, set);
  }

  remove(c: HubConnection): void {
    const set = this.byUser.get(c.userId);
    if (!set) return;
    set.delete(c);
    if (set.size === 0) this.byUser.delete(c.userId);
  }

  /** Authenticated connections on this instance. */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }

  connectionsOf(userId: string): HubConnection[] {
    return [...(this.byUser.get(userId) ?? [])];
  }

  /** Every connection, for a shutdown. */
  all(): HubConnection[] {
    return [...this.byUser.values()].flatMap((s) => [...s]);
  }

  handle(message: BusMessage): void {
    if (message.kind === "push") {
      for (const d of message.deliveries) {
        for (const userId of d.userIds) for (const c of this.connectionsOf(userId)) c.deliver(d.frame);
      }
      return;
    }
    const sessions = new Set(message.sessionIds);
    for (const c of this.all()) if (sessions.has(c.sessionId)) c.closeWith(message.reason);
  }
}
