/**
 * What an email may say about the device behind a request. The User-Agent is
 * whatever the client sent (up to 512 characters, sentences and links
 * included), so it never reaches a mail: it is reduced to a browser and an
 * operating system from the fixed vocabulary below ("Firefox on Linux"), and
 * anything else is "an unrecognised device". Only Vigil's own words come out.
 */

const BROWSERS: readonly [RegExp, string][] = [
  // Order matters: Edge and Opera also claim Chrome, Chrome also claims Safari.
  [/\bEdg(?:e|A|iOS)?\//, "Edge"],
  [/\b(?:OPR|Opera)\//, "Opera"],
  [/\bSamsungBrowser\//, "Samsung Internet"],
  [/\b(?:Firefox|FxiOS)\//, "Firefox"],
  [/\b(?:Chrome|Chromium|CriOS)\//, "Chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "Safari"],
  [/^curl\//, "curl"],
  [/^Wget\//, "Wget"],
  [/^python-requests\/|^Python-urllib\/|^python-httpx\//, "a Python client"],
  [/^okhttp\//, "an Android app"],
  [/^Go-http-client\//, "a Go client"],
  [/^PostmanRuntime\//, "Postman"],
  [/^(?:node-fetch|undici|axios)\b|^node$/, "a Node.js client"],
];

const SYSTEMS: readonly [RegExp, string][] = [
  // Android before Linux (it says both), iOS before macOS (iPads say "like Mac OS X").
  [/\bAndroid\b/, "Android"],
  [/\b(?:iPhone|iPad|iPod)\b/, "iOS"],
  [/\bWindows\b/, "Windows"],
  [/\bCrOS\b/, "ChromeOS"],
  [/\bMac OS X\b|\bMacintosh\b/, "macOS"],
  [/\bLinux\b|\bX11\b/, "Linux"],
];

export const UNKNOWN_DEVICE = "an unrecognised device";

const first = (ua: string, table: readonly [RegExp, string][]) => table.find(([re]) => re.test(ua))?.[1];

/** Every description there is; a description passed in again comes back as it is. */
const DESCRIPTIONS = new Set<string>([UNKNOWN_DEVICE]);
for (const [, b] of BROWSERS) {
  DESCRIPTIONS.add(b);
  for (const [, os] of SYSTEMS) DESCRIPTIONS.add(`${b} on ${os}`);
}
for (const [, os] of SYSTEMS) DESCRIPTIONS.add(`a browser on ${os}`);

/**
 * A short description of the device from a User-Agent, in Vigil's words only.
 * Idempotent: a job may carry the description and the template describe it again.
 */
export function describeUserAgent(userAgent: string | null | undefined): string {
  if (userAgent && DESCRIPTIONS.has(userAgent)) return userAgent;
  const ua = (userAgent ?? "").slice(0, 512);
  const browser = first(ua, BROWSERS);
  const system = first(ua, SYSTEMS);
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `a browser on ${system}`;
  return UNKNOWN_DEVICE;
}
