/**
 * The event catalogue: every event type Vigil may append, with the zod schema of
 * its data and its schema version. Appends are checked against it (an invalid
 * event is refused, never stored); reads upcast old versions to the current one.
 * It doubles as documentation for auditors (`npm run cli -- catalog`).
 */
import { z } from "zod";
import { EventValidationError, UnknownEventTypeError } from "../errors.ts";

/** Turns data of schema version `from` into data of version `from + 1`. */
export type Upcaster = (data: Record<string, unknown>) => Record<string, unknown>;

export interface EventDefinition<T extends string = string, S extends z.ZodType = z.ZodType> {
  readonly type: T;
  readonly domain: string;
  readonly description: string;
  /** The current schema version; appends are written in it. */
  readonly version: number;
  readonly schema: S;
  /** Keyed by the version they upgrade from. */
  readonly upcasters?: Readonly<Record<number, Upcaster>>;
  /**
   * Personal data: the person the event is about, and which top-level string
   * fields of its data are theirs. Those fields, and the metadata's IP and
   * user agent, are stored sealed with the subject's data key (events/pii.ts).
   */
  readonly pii?: PiiSpec;
}

export interface PiiSpec {
  /** `user-<uuid>`, or null when this event is about no person. */
  readonly subject: (data: Record<string, unknown>) => string | null;
  readonly fields: readonly string[];
}

export function defineEvent<const T extends string, S extends z.ZodType>(
  def: EventDefinition<T, S>,
): EventDefinition<T, S> {
  for (let v = 1; v < def.version; v++) {
    if (!def.upcasters?.[v]) throw new Error(`${def.type}: no upcaster from version ${v}`);
  }
  return def;
}

export type EventOf<D extends EventDefinition> = { type: D["type"]; data: z.infer<D["schema"]> };

export class Catalog {
  private readonly byType = new Map<string, EventDefinition>();

  constructor(definitions: readonly EventDefinition[]) {
    for (const d of definitions) {
      if (this.byType.has(d.type)) throw new Error(`event type ${d.type} is defined twice`);
      this.byType.set(d.type, d);
    }
  }

  has(type: string): boolean {
    return this.byType.has(type);
  }

  get(type: string): EventDefinition {
    const d = this.byType.get(type);
    if (!d) throw new UnknownEventTypeError(type);
    return d;
  }

  list(): EventDefinition[] {
    return [...this.byType.values()].sort(
      (a, b) => a.domain.localeCompare(b.domain) || a.type.localeCompare(b.type),
    );
  }

  /** Parses data for append: returns what will be stored, or throws EventValidationError. */
  validate(type: string, data: unknown): { version: number; data: unknown } {
    const d = this.get(type);
    const parsed = d.schema.safeParse(data);
    if (!parsed.success) {
      throw new EventValidationError(
        type,
        parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
      );
    }
    return { version: d.version, data: parsed.data };
  }

  /** Brings stored data up to the current version of its type. Unknown types pass through. */
  upcast(type: string, version: number, data: unknown): { version: number; data: unknown } {
    const d = this.byType.get(type);
    if (!d || version >= d.version) return { version, data };
    let current = data as Record<string, unknown>;
    for (let v = version; v < d.version; v++) current = d.upcasters![v]!(current);
    return { version: d.version, data: current };
  }
}

/** Metadata is validated like data: a malformed envelope is refused as well. */
export const metadataSchema = z.object({
  actor: z.string().min(1).max(200),
  ip: z.string().max(64).nullable(),
  userAgent: z.string().max(512).nullable(),
  requestId: z.string().max(128).nullable(),
  correlationId: z.string().max(128).nullable(),
  causationId: z.string().max(128).nullable(),
  reason: z.string().max(1000).optional(),
});
