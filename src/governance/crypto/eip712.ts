/**
 * EIP-712 typed structured data hashing: `encodeType`, `hashStruct`, the
 * domain separator and the digest `keccak256(0x19 0x01 ‖ domainSeparator ‖
 * hashStruct(message))` that `eth_signTypedData_v4` signs. General enough for
 * the specification's own `Mail` example (nested structs), which the tests
 * reproduce; Vigil's ballots use it for the `Vote` type.
 */
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils.js";
import { fromHex, keccak, toHex } from "./ethereum.ts";

export interface TypedField {
  name: string;
  type: string;
}
export type TypeDefinitions = Record<string, readonly TypedField[]>;

export interface TypedDataDomain {
  name?: string;
  version?: string;
  chainId?: number;
  verifyingContract?: string;
  salt?: string;
}

/** The JSON `eth_signTypedData_v4` takes. */
export interface TypedData {
  types: TypeDefinitions & { EIP712Domain: readonly TypedField[] };
  primaryType: string;
  domain: TypedDataDomain;
  message: Record<string, unknown>;
}

const DOMAIN_FIELDS: readonly TypedField[] = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
  { name: "salt", type: "bytes32" },
];

/** The EIP712Domain fields a domain uses, in the order the specification fixes. */
export function domainType(domain: TypedDataDomain): TypedField[] {
  return DOMAIN_FIELDS.filter((f) => domain[f.name as keyof TypedDataDomain] !== undefined);
}

const baseType = (t: string) => t.replace(/(\[\d*\])+$/, "");

function dependencies(primary: string, types: TypeDefinitions, found = new Set<string>()): Set<string> {
  const base = baseType(primary);
  if (found.has(base) || !types[base]) return found;
  found.add(base);
  for (const f of types[base]!) dependencies(f.type, types, found);
  return found;
}

/** `Mail(Person from,Person to,string contents)Person(string name,address wallet)`. */
export function encodeType(primary: string, types: TypeDefinitions): string {
  const deps = [...dependencies(primary, types)].filter((t) => t !== primary).sort();
  return [primary, ...deps]
    .map((t) => `${t}(${types[t]!.map((f) => `${f.type} ${f.name}`).join(",")})`)
    .join("");
}

export const typeHash = (primary: string, types: TypeDefinitions): Uint8Array =>
  keccak(utf8ToBytes(encodeType(primary, types)));

function word(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = BigInt.asUintN(256, n);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function bytesOf(value: unknown, what: string): Uint8Array {
  const b = typeof value === "string" ? fromHex(value) : value instanceof Uint8Array ? value : undefined;
  if (!b) throw new TypeError(`${what}: expected hex bytes`);
  return b;
}

function integer(value: unknown, type: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^(0x[0-9a-fA-F]+|-?\d+)$/.test(value)) return BigInt(value);
  throw new TypeError(`${type}: expected an integer`);
}

function encodeValue(type: string, value: unknown, types: TypeDefinitions): Uint8Array {
  const array = /^(.*)\[(\d*)\]$/.exec(type);
  if (array) {
    if (!Array.isArray(value)) throw new TypeError(`${type}: expected an array`);
    if (array[2] && value.length !== Number(array[2])) throw new TypeError(`${type}: wrong length`);
    return keccak(concatBytes(...value.map((v) => encodeValue(array[1]!, v, types))));
  }
  if (types[type]) return hashStruct(type, value as Record<string, unknown>, types);
  if (type === "string") {
    if (typeof value !== "string") throw new TypeError("string: expected a string");
    return keccak(utf8ToBytes(value));
  }
  if (type === "bytes") return keccak(bytesOf(value, type));
  if (type === "bool") return word(value === true ? 1n : 0n);
  if (type === "address") {
    const b = bytesOf(value, type);
    if (b.length !== 20) throw new TypeError("address: expected 20 bytes");
    return concatBytes(new Uint8Array(12), b);
  }
  const fixed = /^bytes(\d+)$/.exec(type);
  if (fixed) {
    const b = bytesOf(value, type);
    if (b.length !== Number(fixed[1])) throw new TypeError(`${type}: wrong length`);
    return concatBytes(b, new Uint8Array(32 - b.length));
  }
  if (/^u?int\d*$/.test(type)) return word(integer(value, type));
  throw new TypeError(`unknown type ${type}`);
}

/** keccak256(typeHash ‖ encodeData). */
export function hashStruct(
  primary: string,
  data: Record<string, unknown>,
  types: TypeDefinitions,
): Uint8Array {
  const fields = types[primary];
  if (!fields) throw new TypeError(`unknown type ${primary}`);
  if (typeof data !== "object" || data === null) throw new TypeError(`${primary}: expected an object`);
  return keccak(
    concatBytes(typeHash(primary, types), ...fields.map((f) => encodeValue(f.type, data[f.name], types))),
  );
}

export function domainSeparator(domain: TypedDataDomain): Uint8Array {
  const types = { EIP712Domain: domainType(domain) };
  return hashStruct("EIP712Domain", domain as Record<string, unknown>, types);
}

/** What the wallet signs: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)). */
export function typedDataDigest(data: TypedData): Uint8Array {
  const { EIP712Domain: _, ...types } = data.types;
  return keccak(
    concatBytes(
      new Uint8Array([0x19, 0x01]),
      domainSeparator(data.domain),
      hashStruct(data.primaryType, data.message, types),
    ),
  );
}

export const digestHex = (data: TypedData) => toHex(typedDataDigest(data));
