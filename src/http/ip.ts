/**
 * IP and CIDR matching for the trusted-proxy rule, and the X-Forwarded-For walk.
 * Parsing comes from Hono's ipaddr utilities; IPv4-mapped IPv6 (`::ffff:10.0.0.1`,
 * what Node reports on dual-stack sockets) is folded to IPv4 so one rule covers both.
 */
import {
  convertIPv4MappedIPv6ToIPv4,
  convertIPv4ToBinary,
  convertIPv6ToBinary,
  distinctRemoteAddr,
  isIPv4MappedIPv6,
} from "hono/utils/ipaddr";

interface Addr {
  v: 4 | 6;
  bits: bigint;
}

interface Cidr extends Addr {
  prefix: number;
}

export function parseIp(raw: string): Addr | undefined {
  // Strip brackets and zone ids (`[fe80::1%eth0]`), which proxies sometimes pass along.
  const s = raw
    .trim()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  try {
    const kind = distinctRemoteAddr(s);
    if (kind === "IPv4") return { v: 4, bits: convertIPv4ToBinary(s) };
    if (kind === "IPv6") {
      const bits = convertIPv6ToBinary(s);
      if (isIPv4MappedIPv6(bits)) return { v: 4, bits: convertIPv4MappedIPv6ToIPv4(bits) };
      return { v: 6, bits };
    }
  } catch {
    // fall through: not an address
  }
  return undefined;
}

export function parseIpOrCidr(raw: string): Cidr | undefined {
  const [ip, len, extra] = raw.trim().split("/");
  if (ip === undefined || extra !== undefined) return undefined;
  const addr = parseIp(ip);
  if (!addr) return undefined;
  const max = addr.v === 4 ? 32 : 128;
  if (len === undefined) return { ...addr, prefix: max };
  if (!/^\d{1,3}$/.test(len) || Number(len) > max) return undefined;
  return { ...addr, prefix: Number(len) };
}

function contains(net: Cidr, addr: Addr): boolean {
  if (net.v !== addr.v) return false;
  const width = BigInt(net.v === 4 ? 32 : 128);
  const shift = width - BigInt(net.prefix);
  return net.bits >> shift === addr.bits >> shift;
}

/** Compiles the configured proxy list once; the result answers "is this hop trusted?". */
export function trustMatcher(entries: readonly string[]): (ip: string) => boolean {
  const nets = entries.map(parseIpOrCidr).filter((n): n is Cidr => n !== undefined);
  return (ip) => {
    const addr = parseIp(ip);
    return addr !== undefined && nets.some((n) => contains(n, addr));
  };
}

/**
 * The client address. X-Forwarded-For is believed only when the direct peer is a
 * trusted proxy; then it is read right to left, skipping trusted hops, and the
 * first untrusted hop is the client (anything left of it is client-supplied and
 * may be forged). Malformed entries stop the walk at the last good hop.
 */
export function resolveClientIp(
  peer: string | undefined,
  forwardedFor: string | undefined,
  isTrusted: (ip: string) => boolean,
): string | undefined {
  const direct = peer ? normalisedPeer(peer) : undefined;
  if (!direct || !forwardedFor || !isTrusted(direct)) return direct;
  const hops = forwardedFor.split(",").map((h) => h.trim());
  let client = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalise(hops[i] ?? "");
    if (!hop) break;
    client = hop;
    if (!isTrusted(hop)) break;
  }
  return client;
}

// The direct peer of every request is parsed here; a server sees few distinct ones
// (its proxies, or its clients), so their canonical text is kept, within a bound.
const peers = new Map<string, string | undefined>();
const MAX_PEERS = 4096;

function normalisedPeer(peer: string): string | undefined {
  const hit = peers.get(peer);
  if (hit !== undefined || peers.has(peer)) return hit;
  if (peers.size >= MAX_PEERS) peers.clear();
  const text = normalise(peer);
  peers.set(peer, text);
  return text;
}

/** Canonical text for an address (mapped IPv4 unwrapped), or undefined when invalid. */
function normalise(raw: string): string | undefined {
  const addr = parseIp(raw);
  if (!addr) return undefined;
  const s = raw
    .trim()
    .replace(/^\[|\]$/g, "")
    .replace(/%.*$/, "");
  if (addr.v === 4 && s.includes(":")) {
    return [24n, 16n, 8n, 0n].map((sh) => String((addr.bits >> sh) & 0xffn)).join(".");
  }
  return s.toLowerCase();
}

/**
 * Whom a per-address limit applies to: the IPv4 address, or the /64 an IPv6
 * address belongs to (one subscriber usually holds a whole /64, so per-address
 * limits would be trivially evaded). Undefined when `raw` is not an address.
 */
export function ipLimitSubject(raw: string, v6Prefix = 64): string | undefined {
  const addr = parseIp(raw);
  if (!addr) return undefined;
  if (addr.v === 4) return [24n, 16n, 8n, 0n].map((sh) => String((addr.bits >> sh) & 0xffn)).join(".");
  const net = (addr.bits >> BigInt(128 - v6Prefix)) << BigInt(128 - v6Prefix);
  const groups = Array.from({ length: 8 }, (_, i) => ((net >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return `${groups.join(":")}/${v6Prefix}`;
}
