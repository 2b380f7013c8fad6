/**
 * Sign-In with Ethereum (EIP-4361) messages: Vigil writes the challenge text
 * and parses what comes back. The Solana form has the same shape with
 * "Solana account" (as Sign-In With Solana does). Parsing is strict and
 * line-based: every field is where the specification puts it, nothing else.
 * Verification never trusts the parse alone: the link command rebuilds the
 * message from the stored challenge and requires the same bytes.
 */
export type WalletChain = "ethereum" | "solana";

export interface SiweMessage {
  chain: WalletChain;
  domain: string;
  address: string;
  statement?: string;
  uri: string;
  version: "1";
  chainId: string;
  nonce: string;
  issuedAt: string;
  expirationTime?: string;
  notBefore?: string;
  requestId?: string;
  resources?: string[];
}

const ACCOUNT = { ethereum: "Ethereum", solana: "Solana" } as const;

export function formatSiwe(m: SiweMessage): string {
  const lines = [`${m.domain} wants you to sign in with your ${ACCOUNT[m.chain]} account:`, m.address, ""];
  if (m.statement !== undefined) lines.push(m.statement, "");
  lines.push(
    `URI: ${m.uri}`,
    `Version: ${m.version}`,
    `Chain ID: ${m.chainId}`,
    `Nonce: ${m.nonce}`,
    `Issued At: ${m.issuedAt}`,
  );
  if (m.expirationTime) lines.push(`Expiration Time: ${m.expirationTime}`);
  if (m.notBefore) lines.push(`Not Before: ${m.notBefore}`);
  if (m.requestId !== undefined) lines.push(`Request ID: ${m.requestId}`);
  if (m.resources) lines.push("Resources:", ...m.resources.map((r) => `- ${r}`));
  return lines.join("\n");
}

const HEADER = /^(\S+) wants you to sign in with your (Ethereum|Solana) account:$/;
const OPTIONAL = [
  ["Expiration Time", "expirationTime"],
  ["Not Before", "notBefore"],
  ["Request ID", "requestId"],
] as const;

/** The message's fields, or undefined when it is not an EIP-4361 message. */
export function parseSiwe(text: string): SiweMessage | undefined {
  if (text.length > 4096 || text.includes("\r")) return undefined;
  const lines = text.split("\n");
  const head = HEADER.exec(lines[0] ?? "");
  if (!head || lines[2] !== "") return undefined;
  const chain: WalletChain = head[2] === "Ethereum" ? "ethereum" : "solana";
  let i = 3;
  let statement: string | undefined;
  if (lines[i] !== undefined && !lines[i]!.startsWith("URI: ")) {
    statement = lines[i];
    if (lines[i + 1] !== "") return undefined;
    i += 2;
  }
  const field = (name: string): string | undefined => {
    const line = lines[i];
    if (!line?.startsWith(`${name}: `)) return undefined;
    i++;
    return line.slice(name.length + 2);
  };
  const uri = field("URI");
  const version = field("Version");
  const chainId = field("Chain ID");
  const nonce = field("Nonce");
  const issuedAt = field("Issued At");
  if (!uri || version !== "1" || !chainId || !nonce || !issuedAt) return undefined;
  if (!/^[A-Za-z0-9]{8,}$/.test(nonce)) return undefined;
  const m: SiweMessage = {
    chain,
    domain: head[1]!,
    address: lines[1]!,
    uri,
    version,
    chainId,
    nonce,
    issuedAt,
  };
  if (statement !== undefined) m.statement = statement;
  for (const [label, key] of OPTIONAL) {
    const v = field(label);
    if (v !== undefined) m[key] = v;
  }
  if (lines[i] === "Resources:") {
    i++;
    m.resources = [];
    while (lines[i]?.startsWith("- ")) m.resources.push(lines[i++]!.slice(2));
  }
  return i === lines.length ? m : undefined;
}
