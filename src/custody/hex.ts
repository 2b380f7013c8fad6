/** Lowercase hex, as every key, point, scalar, signature and message appears in custody JSON. */
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";

export const toHex = (b: Uint8Array): string => bytesToHex(b);

/** Callers validate the text first (schemas.ts `Hex`); this only decodes. */
export const fromHex = (h: string): Uint8Array<ArrayBuffer> =>
  hexToBytes(h.toLowerCase()) as Uint8Array<ArrayBuffer>;
