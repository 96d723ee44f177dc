/**
 * Settings of the functions from the environment (all optional):
 * NORTHSTAR_MAX_BODY_BYTES, NORTHSTAR_MAX_DECOMPRESSED_BYTES, NORTHSTAR_MAX_RECORDS,
 * NORTHSTAR_ALLOWED_ORIGINS (comma-separated; default `*`), NORTHSTAR_STATEMENT_TIMEOUT_MS,
 * NORTHSTAR_MAX_FIELD_BYTES, NORTHSTAR_STRICT (`1` refuses instead of repairing),
 * NORTHSTAR_READ_TIMEOUT_MS, NORTHSTAR_RETRY_AFTER_SECONDS, NORTHSTAR_DB_CONNECT_TIMEOUT_MS,
 * NORTHSTAR_DB_MAX_CONNECTIONS, NORTHSTAR_DB_POOL_WAIT_MS, NORTHSTAR_DB_PROBE_INTERVAL_MS;
 * and for the local server only, NORTHSTAR_HEADERS_TIMEOUT_MS and NORTHSTAR_IDLE_TIMEOUT_MS.
 *
 * @module
 */
import type { IngestOptions } from "./ingest.ts";
import type { DatabaseOptions } from "./pg_resilient.ts";

/** Reads one setting; `Deno.env.get` by default, a map in tests (which then need no permission). */
export type ReadSetting = (name: string) => string | undefined;

function readNumber(get: ReadSetting, name: string): number | undefined {
  const raw = get(name);
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
  return n;
}

function flag(get: ReadSetting, name: string): boolean {
  const raw = (get(name) ?? "").trim().toLowerCase();
  if (raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new Error(`${name} must be 1 or 0, not ${JSON.stringify(raw)}`);
}

/** Settings of the local server's connections (scripts/serve.ts). */
export interface ServerOptions {
  /** Longest wait for a request's headers, ms (default 10 s). */
  headersTimeoutMs?: number;
  /** Longest a kept-alive connection may stay silent between requests, ms (default 30 s). */
  idleTimeoutMs?: number;
}

/** The handlers' settings, the database's, and the local server's. */
export function optionsFromEnv(
  get: ReadSetting = (name) => Deno.env.get(name),
): IngestOptions & DatabaseOptions & ServerOptions {
  const number = (name: string) => readNumber(get, name);
  const origins = get("NORTHSTAR_ALLOWED_ORIGINS")?.split(",").map((o) => o.trim()).filter(Boolean);
  return {
    maxBodyBytes: number("NORTHSTAR_MAX_BODY_BYTES"),
    maxDecompressedBytes: number("NORTHSTAR_MAX_DECOMPRESSED_BYTES"),
    maxRecords: number("NORTHSTAR_MAX_RECORDS"),
    maxFieldBytes: number("NORTHSTAR_MAX_FIELD_BYTES"),
    strict: flag(get, "NORTHSTAR_STRICT"),
    allowedOrigins: origins && origins.length > 0 ? origins : "*",
    statementTimeoutMs: number("NORTHSTAR_STATEMENT_TIMEOUT_MS"),
    readTimeoutMs: number("NORTHSTAR_READ_TIMEOUT_MS"),
    retryAfterSeconds: number("NORTHSTAR_RETRY_AFTER_SECONDS"),
    connectTimeoutMs: number("NORTHSTAR_DB_CONNECT_TIMEOUT_MS"),
    maxConnections: number("NORTHSTAR_DB_MAX_CONNECTIONS"),
    poolWaitMs: number("NORTHSTAR_DB_POOL_WAIT_MS"),
    probeIntervalMs: number("NORTHSTAR_DB_PROBE_INTERVAL_MS"),
    headersTimeoutMs: number("NORTHSTAR_HEADERS_TIMEOUT_MS"),
    idleTimeoutMs: number("NORTHSTAR_IDLE_TIMEOUT_MS"),
  };
}

/** The database URL Supabase gives every function. */
export function databaseUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  return url;
}
