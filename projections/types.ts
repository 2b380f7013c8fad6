import type { Sql } from "../db/client.ts";
import type { StoredEvent } from "../events/types.ts";

/**
 * A read model built from the log. `apply` writes through the `Sql` it is given
 * and uses unqualified table names: that is what lets `replay --verify` point the
 * same code at shadow tables.
 *
 * - inline: applied inside the append's transaction (the next request sees it; an
 *   error or a unique violation there rolls the append back).
 * - async: applied by the runner after commit, from its own checkpoint.
 *
 * `apply` must be deterministic in the event alone (use `recordedAt`, never now()).
 */
export interface Projection {
  readonly name: string;
  readonly mode: "inline" | "async";
  readonly eventTypes: readonly string[];
  /** Tables this projection owns and alone writes. */
  readonly tables: readonly string[];
  apply(sql: Sql, event: StoredEvent): Promise<void>;
}
