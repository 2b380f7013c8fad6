/**
 * Headers Vigil adds to every response, merged into the head as Node writes it
 * when the app is served by @hono/node-server (which hands the app its
 * ServerResponse as `env.outgoing`).
 *
 * Why: a WHATWG `Headers` validates, lowercases and re-sorts on every `set` and
 * `has`, and the adapter has a fast path for a Response whose headers are still
 * a plain object, which the first `c.res.headers` access ends. A dozen fixed
 * headers, the request id and the rate-limit fields set that way, and read
 * back to keep a route from overriding them, cost more than the rest of a
 * hello-world request. Here they are collected in a small plan (no validation,
 * no Headers) and merged once, into the object the adapter passes to
 * `writeHead`, with each entry's rule for a value the route set itself:
 *
 * - `setDefault`: the route's value wins (CSP, Cache-Control);
 * - `enforce`: ours wins (the fixed security headers, the request id);
 * - `append`: ours follows the route's as list members (RateLimit fields).
 *
 * Node then validates each header once as it stores the head. Anywhere else
 * (Deno, `app.request()` in tests, a WebSocket upgrade) there is no
 * ServerResponse: `nodeHead` answers undefined and callers set the headers on
 * the Response as before.
 */
import type { Context } from "hono";

export interface Head {
  /** Sent unless the response has its own value. */
  setDefault(name: string, value: string): void;
  /** Sent in place of any value the response has. */
  enforce(name: string, value: string): void;
  /** Sent after the response's own value, if any, as list members. */
  append(name: string, value: string): void;
  /** A fixed list of headers compiled once by `headPreset`, each with its rule. */
  preset(p: HeadPreset): void;
}

/** Headers known in advance (the security headers), lowercased and checked once rather than on every request. */
export interface HeadPreset {
  readonly entries: readonly Entry[];
  readonly names: ReadonlySet<string>;
}

export function headPreset(
  headers: readonly { name: string; value: string; rule: "default" | "enforce" }[],
): HeadPreset {
  const entries = headers.map(({ name, value, rule }) => ({
    name,
    lower: name.toLowerCase(),
    value,
    mode: rule === "enforce" ? ENFORCE : DEFAULT,
  }));
  return { entries, names: new Set(entries.map((e) => e.lower)) };
}

const DEFAULT = 0;
const ENFORCE = 1;
const APPEND = 2;

// Never changed once made, so a preset's entries are shared by every request's plan.
interface Entry {
  readonly name: string;
  readonly lower: string;
  readonly value: string;
  readonly mode: number;
}

type HeaderValue = string | number | readonly string[];
type HeaderRecord = Record<string, HeaderValue | undefined>;

interface Outgoing {
  writeHead(status: number, ...rest: unknown[]): unknown;
  hasHeader(name: string): boolean;
  getHeader(name: string): unknown;
  getHeaderNames(): string[];
  readonly headersSent: boolean;
}

const PLAN = Symbol("vigil.head");

class HeadPlan implements Head {
  readonly entries: Entry[] = [];

  setDefault(name: string, value: string): void {
    this.put(name, value, DEFAULT);
  }

  enforce(name: string, value: string): void {
    this.put(name, value, ENFORCE);
  }

  append(name: string, value: string): void {
    const lower = name.toLowerCase();
    const i = this.indexOf(lower);
    const e = this.entries[i];
    if (e && e.mode === APPEND) this.entries[i] = { ...e, value: `${e.value}, ${value}` };
    else this.put(name, value, APPEND);
  }

  preset(p: HeadPreset): void {
    // The usual case (none of its names set yet): taken whole, without lowercasing or searching.
    for (const e of this.entries) {
      if (p.names.has(e.lower)) {
        for (const x of p.entries) this.put(x.name, x.value, x.mode);
        return;
      }
    }
    for (const x of p.entries) this.entries.push(x);
  }

  private put(name: string, value: string, mode: number): void {
    const lower = name.toLowerCase();
    const entry = { name, lower, value, mode };
    const i = this.indexOf(lower);
    if (i >= 0) this.entries[i] = entry;
    else this.entries.push(entry);
  }

  private indexOf(lower: string): number {
    for (let i = 0; i < this.entries.length; i++) if (this.entries[i]!.lower === lower) return i;
    return -1;
  }

  /**
   * The head to write: the response's own headers with the plan merged in by
   * each entry's rule, as the flat [name, value, ...] list `writeHead` takes
   * (no object of a dozen keys built and walked again by Node per response).
   */
  merge(own: HeaderRecord | undefined, out: Outgoing): HeaderValue[] {
    const head: HeaderValue[] = [];
    const kept = new Uint8Array(this.entries.length);
    if (own) {
      for (const key in own) {
        const value = own[key];
        if (value === undefined) continue;
        const lower = key.toLowerCase();
        let i = 0;
        for (; i < this.entries.length; i++) if (this.entries[i]!.lower === lower) break;
        const e = this.entries[i];
        if (!e || e.mode === DEFAULT) {
          head.push(key, value);
          if (e) kept[i] = 1;
        } else if (e.mode === APPEND) {
          head.push(key, Array.isArray(value) ? [...value, e.value] : `${value}, ${e.value}`);
          kept[i] = 1;
        }
        // ENFORCE: the route's value is dropped; ours is added below.
      }
    }
    // A value set on the ServerResponse itself (setHeader) counts as the response's own; usually there is none.
    const setOnResponse = out.getHeaderNames().length > 0;
    for (let i = 0; i < this.entries.length; i++) {
      if (kept[i]) continue;
      const e = this.entries[i]!;
      if (setOnResponse && e.mode !== ENFORCE && out.hasHeader(e.name)) {
        if (e.mode === APPEND) head.push(e.name, `${out.getHeader(e.name)}, ${e.value}`);
        continue;
      }
      head.push(e.name, e.value);
    }
    return head;
  }
}

/** `writeHead`'s headers argument as a record (Node also takes [name, value] pairs or a flat list). */
function asRecord(headers: unknown): HeaderRecord | undefined {
  if (headers == null) return undefined;
  if (!Array.isArray(headers)) return headers as HeaderRecord;
  const pairs: [string, string][] = Array.isArray(headers[0])
    ? (headers as [string, string][])
    : Array.from({ length: headers.length / 2 }, (_, i) => [headers[2 * i], headers[2 * i + 1]]);
  const record: Record<string, string | string[]> = {};
  for (const [name, value] of pairs) {
    const prev = record[name];
    record[name] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  return record;
}

/**
 * The head plan of this request's ServerResponse, created on first use, or
 * undefined when there is no ServerResponse whose head is still unwritten.
 */
export function nodeHead(c: Context): Head | undefined {
  const out = (c.env as { outgoing?: Partial<Outgoing> & { [PLAN]?: HeadPlan } } | undefined)?.outgoing;
  if (!out || typeof out.writeHead !== "function" || out.headersSent !== false) return undefined;
  let plan = out[PLAN];
  if (plan) return plan;
  const created = new HeadPlan();
  plan = created;
  out[PLAN] = created;
  const writeHead = out.writeHead;
  // Node's writeHead(status, [reason], [headers]); an implicit head (write() first) comes here too.
  out.writeHead = function (this: Outgoing, status: number, ...rest: unknown[]) {
    const reason = typeof rest[0] === "string" ? rest[0] : undefined;
    const headers = created.merge(asRecord(reason === undefined ? rest[0] : rest[1]), this);
    return reason === undefined
      ? writeHead.call(this, status, headers)
      : writeHead.call(this, status, reason, headers);
  };
  return plan;
}
