/**
 * Settings of the functions from the environment (all optional):
 * NORTHSTAR_MAX_BODY_BYTES, NORTHSTAR_MAX_DECOMPRESSED_BYTES, NORTHSTAR_MAX_RECORDS,
 * NORTHSTAR_ALLOWED_ORIGINS (comma-separated; default `*`), NORTHSTAR_STATEMENT_TIMEOUT_MS,
 * NORTHSTAR_MAX_FIELD_BYTES, NORTHSTAR_STRICT (`1` refuses instead of repairing).
 *
 * @module
 */
import type { IngestOptions } from "./ingest.ts";

function number(name: string): number | undefined {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${JSON.stringify(raw)}`);
  return n;
}

function flag(name: string): boolean {
  const raw = (Deno.env.get(name) ?? "").trim().toLowerCase();
  if (raw === "" || raw === "0" || raw === "false") return false;
  if (raw === "1" || raw === "true") return true;
  throw new Error(`${name} must be 1 or 0, not ${JSON.stringify(raw)}`);
}

/** The handlers' settings. */
export function optionsFromEnv(): IngestOptions & { statementTimeoutMs?: number } {
  const origins = Deno.env.get("NORTHSTAR_ALLOWED_ORIGINS")?.split(",").map((o) => o.trim()).filter(Boolean);
  return {
    maxBodyBytes: number("NORTHSTAR_MAX_BODY_BYTES"),
    maxDecompressedBytes: number("NORTHSTAR_MAX_DECOMPRESSED_BYTES"),
    maxRecords: number("NORTHSTAR_MAX_RECORDS"),
    maxFieldBytes: number("NORTHSTAR_MAX_FIELD_BYTES"),
    strict: flag("NORTHSTAR_STRICT"),
    allowedOrigins: origins && origins.length > 0 ? origins : "*",
    statementTimeoutMs: number("NORTHSTAR_STATEMENT_TIMEOUT_MS"),
  };
}

/** The database URL Supabase gives every function. */
export function databaseUrl(): string {
  const url = Deno.env.get("SUPABASE_DB_URL");
  if (!url) throw new Error("SUPABASE_DB_URL is not set");
  return url;
}
