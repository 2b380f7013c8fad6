/**
 * JSON logs through pino. Secrets are redacted by path before a line is written,
 * so a careless `log.info({ body })` cannot leak a password or a token. pino's
 * redaction needs explicit paths; wildcards cover the key at the top level and
 * up to three levels down, which is as deep as request bodies and headers go.
 */
import { type DestinationStream, type Logger, pino } from "pino";
import type { LogLevel } from "../config.ts";

export const SECRET_KEYS = [
  "password",
  "newPassword",
  "currentPassword",
  "token",
  "refreshToken",
  "accessToken",
  "secret",
  "code",
  "authorization",
  "cookie",
  "x-api-key",
  "apiKey",
  "set-cookie",
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    const dot = k.startsWith("[") ? "" : ".";
    paths.push(k, `*${dot}${k}`, `*.*${dot}${k}`, `*.*.*${dot}${k}`);
  }
  return paths;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stdout by default. Tests pass a stream to read them back. */
  destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { service: "vigil" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: "[redacted]" },
    },
    opts.destination,
  );
}
