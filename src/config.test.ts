import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.ts";

const STRONG_KEY = btoa(String.fromCharCode(...Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256)));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("gives working defaults for development with an empty environment", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      env: "development",
      port: 3000,
      host: "0.0.0.0",
      databaseUrl: undefined,
      dataDir: "./data",
      redisUrl: undefined,
      bodyLimitBytes: 1024 * 1024,
      requestTimeoutMs: 10_000,
      corsOrigins: [],
      trustedProxies: [],
      runWorkersInProcess: true,
      metricsToken: undefined,
      logLevel: "info",
    });
  });

  it("parses lists, numbers and booleans, and treats empty values as unset", () => {
    const c = loadConfig({
      PORT: "8080",
      CORS_ORIGINS: "https://a.example.com, http://localhost:5173",
      TRUSTED_PROXIES: "10.0.0.0/8,::1",
      RUN_WORKERS_IN_PROCESS: "false",
      DATABASE_URL: "",
      ENCRYPTION_KEY: STRONG_KEY,
    });
    expect(c.port).toBe(8080);
    expect(c.corsOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    expect(c.trustedProxies).toEqual(["10.0.0.0/8", "::1"]);
    expect(c.runWorkersInProcess).toBe(false);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.encryptionKey).toHaveLength(32);
  });

  it("refuses every production weakness at once", () => {
    const problems = problemsOf({ NODE_ENV: "production", CORS_ORIGINS: "https://a.example.com,*" });
    expect(problems).toHaveLength(6);
    expect(problems.join("\n")).toMatch(/ENCRYPTION_KEY: required in production/);
    expect(problems.join("\n")).toMatch(/DATABASE_URL: required in production/);
    expect(problems.join("\n")).toMatch(/REDIS_URL: required in production/);
    expect(problems.join("\n")).toMatch(/SMTP_URL: required in production/);
    expect(problems.join("\n")).toMatch(/CORS_ORIGINS: `\*` is refused in production/);
    expect(problems.join("\n")).toMatch(/METRICS_TOKEN: required in production/);
  });

  it("lists type errors together with production refusals", () => {
    const problems = problemsOf({
      NODE_ENV: "production",
      PORT: "http",
      TRUSTED_PROXIES: "10.0.0.0/33",
      ENCRYPTION_KEY: btoa("short"),
      DATABASE_URL: "mysql://x",
    });
    const text = problems.join("\n");
    expect(text).toMatch(/^PORT:/m);
    expect(text).toMatch(/^TRUSTED_PROXIES\.0: must be an IP or CIDR/m);
    expect(text).toMatch(/ENCRYPTION_KEY: must decode to 32 bytes, got 5/);
    expect(text).toMatch(/^DATABASE_URL: must be a URL/m);
  });

  it("refuses a 32-byte key that is not random", () => {
    const zeros = btoa(String.fromCharCode(...new Uint8Array(32)));
    expect(problemsOf({ ENCRYPTION_KEY: zeros }).join()).toMatch(/too weak/);
  });

  it("accepts a complete production configuration", () => {
    const c = loadConfig({
      NODE_ENV: "production",
      DATABASE_URL: "postgres://vigil@db:5432/vigil",
      REDIS_URL: "redis://cache:6379",
      SMTP_URL: "smtps://mailer:secret@smtp.example.com:465",
      ENCRYPTION_KEY: STRONG_KEY,
      CORS_ORIGINS: "https://app.example.com",
      SECURITY_EMAIL: "security@example.com",
      METRICS_TOKEN: "scrape-3f9c1a7e5b2d8046",
    });
    expect(c.env).toBe("production");
    expect(c.databaseUrl).toBe("postgres://vigil@db:5432/vigil");
    expect(c.securityEmail).toBe("security@example.com");
    expect(c.redisPrefix).toBe("vigil");
  });

  it("refuses origins with paths and a short metrics token, naming the variable", () => {
    const text = problemsOf({ CORS_ORIGINS: "https://a.example.com/app", METRICS_TOKEN: "short" }).join("\n");
    expect(text).toMatch(/^CORS_ORIGINS\.0:/m);
    expect(text).toMatch(/^METRICS_TOKEN:/m);
  });

  it("sizes the password hash pool from PASSWORD_HASH_WORKERS and PASSWORD_HASH_QUEUE", () => {
    expect(loadConfig({}).auth).toMatchObject({
      passwordHashWorkers: undefined,
      passwordHashQueue: undefined,
    });
    const c = loadConfig({ PASSWORD_HASH_WORKERS: "3", PASSWORD_HASH_QUEUE: "0", PASSWORD_HASH_NICE: "19" });
    expect(c.auth.passwordHashWorkers).toBe(3);
    expect(c.auth.passwordHashQueue).toBe(0);
    expect(c.auth.passwordHashNice).toBe(19);
  });

  it("chooses the argon2id backend from PASSWORD_HASH_BACKEND (auto by default) and names a bad one", () => {
    expect(loadConfig({}).auth.passwordHashBackend).toBe("auto");
    expect(loadConfig({ PASSWORD_HASH_BACKEND: "wasm" }).auth.passwordHashBackend).toBe("wasm");
    expect(loadConfig({ PASSWORD_HASH_BACKEND: "native" }).auth.passwordHashBackend).toBe("native");
    expect(problemsOf({ PASSWORD_HASH_BACKEND: "fast" })).toEqual([
      "PASSWORD_HASH_BACKEND: must be auto, native or wasm",
    ]);
  });

  it("refuses a password hash pool that is not a whole number in range, saying which", () => {
    for (const bad of ["0", "-1", "1.5", "two", "257"]) {
      expect(problemsOf({ PASSWORD_HASH_WORKERS: bad })).toEqual([
        "PASSWORD_HASH_WORKERS: must be a whole number from 1 to 256",
      ]);
    }
    for (const bad of ["-1", "lots", "100001"]) {
      expect(problemsOf({ PASSWORD_HASH_QUEUE: bad })).toEqual([
        "PASSWORD_HASH_QUEUE: must be a whole number from 0 to 100000",
      ]);
    }
    expect(problemsOf({ PASSWORD_HASH_NICE: "20" })).toEqual([
      "PASSWORD_HASH_NICE: must be a whole number from 0 to 19",
    ]);
  });

  it("is silent by default under test", () => {
    expect(loadConfig({ NODE_ENV: "test" }).logLevel).toBe("silent");
  });
});
