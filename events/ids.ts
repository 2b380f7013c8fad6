/**
 * UUIDv7 (RFC 9562): time-ordered, so new event ids land at the right-hand edge
 * of the unique index instead of scattering writes across it.
 */

// Random bytes are drawn from the CSPRNG in blocks (as crypto.randomUUID does):
// one getRandomValues call per id cost a fifth of the client's CPU on batched appends.
const POOL_BYTES = 16 * 256;
const pool = new Uint8Array(POOL_BYTES);
let poolAt = POOL_BYTES;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function uuidv7(now: number = Date.now()): string {
  if (poolAt + 16 > POOL_BYTES) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const b = pool.slice(poolAt, poolAt + 16);
  poolAt += 16;
  // The 48-bit millisecond timestamp, big-endian; plain arithmetic (a BigInt per byte cost more than the rest).
  let ms = Math.floor(now);
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  let h = "";
  for (let i = 0; i < 16; i++) h += HEX[b[i]!]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
