/**
 * What the Edge Functions need from the database, as an interface, so the handlers can run
 * against PostgreSQL (`pg_store.ts`), PGlite, or an in-memory store in unit tests.
 *
 * @module
 */
import type { PreparedBatch, PreparedOtlp } from "./core.ts";

/** A prompt version as `prompts/resolve` returns it (only keys the SDK's model allows). */
export interface PromptVersion {
  id: string;
  prompt_id: string;
  version_number: number;
  content: string;
  model: string | null;
  temperature: number | null;
  max_tokens: number | null;
  variables: unknown[];
  content_hash: string;
}

/** The database access of the functions. */
export interface Store {
  /**
   * How this store wants the record lists of a batch: `"binary"` (one PostgreSQL binary
   * array per column for `private.ingest_prepared_typed`, migration 038: the PostgreSQL
   * store), `"rows"` (rows text for `private.ingest_prepared_rows`, migration 036: PGlite)
   * or JSON (the default). The handler asks the core for this format.
   */
  readonly batchFormat?: "json" | "rows" | "binary";
  /** The project of an active key with this SHA-256 hex hash, or null. */
  resolveApiKey(keyHash: string): Promise<string | null>;
  /** Writes a prepared batch in one transaction (records, prompt links, then scores). */
  ingest(projectId: string, batch: PreparedBatch): Promise<void>;
  /**
   * Writes a prepared OTLP export in one statement (`private.ingest_otlp_batch`, migration
   * 035): spans stored whatever order they arrive in, runs and sessions merged per trace.
   */
  ingestOtlp(projectId: string, prepared: PreparedOtlp): Promise<void>;
  /** A prompt version by slug and label, or by version number when one is given. */
  resolvePrompt(projectId: string, slug: string, label: string, version: number | null): Promise<PromptVersion | null>;
}

/**
 * A database failure, classified for the HTTP answer:
 * - `client`: the data was refused (a reference, ownership or constraint rule) → 400;
 * - `unavailable`: the database cannot be reached, or timed out → 503 with Retry-After;
 * - `internal`: anything else → 500.
 */
export class StoreError extends Error {
  constructor(readonly kind: "client" | "unavailable" | "internal", message: string, cause?: unknown) {
    super(message, { cause });
  }
}

/** SQLSTATE classes and codes that mean "try again later", not "your data is wrong". */
const UNAVAILABLE_CODES = /^(08|53|57P0[1-4]|57014|40001|40P01)/;
/** Our functions raise P0001 for refused data; 22 (data exceptions) and 23 (constraints). */
const CLIENT_CODES = /^(P0001|22|23)/;
/** Driver and socket failures: the database could not be reached. */
const CONNECTION_CODES = /^(E[A-Z]+|CONNECT_TIMEOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED)$/;
/** npm:pg's own connection failures, which carry no code. */
const CONNECTION_MESSAGES =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed|Cannot use a pool after calling end)/;

/** Sorts a database failure (npm:pg, postgres.js or PGlite) into client / unavailable / internal. */
export function classify(e: unknown): StoreError {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const message = typeof err?.message === "string" ? err.message : String(e);
  if (CLIENT_CODES.test(code)) return new StoreError("client", message, e);
  if (UNAVAILABLE_CODES.test(code) || CONNECTION_CODES.test(code)) return new StoreError("unavailable", message, e);
  if (code === "" && CONNECTION_MESSAGES.test(message)) return new StoreError("unavailable", message, e);
  if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset) {
    return new StoreError("unavailable", message, e);
  }
  return new StoreError("internal", message, e);
}

/** Runs database work, turning any failure into a classified StoreError. */
export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw e instanceof StoreError ? e : classify(e);
  }
}

/**
 * The ingest statement (migration 030): $1 project, $2 sessions, $3 runs, $4 spans, $5 events,
 * $6 prompt links, $7 scores, each a JSON text. One statement is one transaction: the batch is
 * written whole or not at all, and its error texts are those of the functions it calls.
 */
export const INGEST_SQL = `SELECT private.ingest_prepared_batch($1::uuid, $2::text::jsonb, $3::text::jsonb,
  $4::text::jsonb, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb)`;

/**
 * The rows ingest statement (migration 036): $1 project, $2 sessions, $3 runs, $4 spans,
 * $5 events as rows text (`prepare_batch(…, "rows")`), then $6 prompt links, $7 scores and
 * $8 warnings as JSON texts. PostgreSQL splits the rows at about the cost of COPY; a jsonb
 * parameter is parsed whole first. One statement, one transaction, the same refusals.
 */
export const INGEST_ROWS_SQL = `SELECT private.ingest_prepared_rows($1::uuid, $2::text, $3::text, $4::text,
  $5::text, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb)`;

/**
 * The typed ingest statement (migration 038): $1 project, $2–$31 the 30 columns of
 * `prepare_batch(…, "binary")` (sessions' 4, runs' 8, spans' 11, events' 7 fields, each a
 * PostgreSQL binary array sent in binary format), then $32 prompt links, $33 scores and $34
 * warnings as JSON texts. One statement, one transaction, the same refusals.
 */
export const INGEST_TYPED_SQL = `SELECT private.ingest_prepared_typed($1::uuid,
  $2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::jsonb[],
  $6::uuid[], $7::uuid[], $8::text[], $9::timestamptz[], $10::timestamptz[], $11::text[], $12::jsonb[], $13::jsonb[],
  $14::uuid[], $15::uuid[], $16::uuid[], $17::text[], $18::text[], $19::timestamptz[], $20::timestamptz[], $21::text[],
  $22::jsonb[], $23::integer[], $24::jsonb[],
  $25::uuid[], $26::uuid[], $27::uuid[], $28::text[], $29::timestamptz[], $30::jsonb[], $31::jsonb[],
  $32::text::jsonb, $33::text::jsonb, $34::text::jsonb)`;

/** The ingest statement for the batch's format: INGEST_ROWS_SQL for rows, else INGEST_SQL. */
export function ingestSql(b: PreparedBatch): string {
  return b.format === "rows" ? INGEST_ROWS_SQL : INGEST_SQL;
}

/** The batch's scores as the ingest statement takes them (`[]` when there are none). */
export function scores(batch: PreparedBatch): string {
  return batch.counts.scores > 0 ? batch.scores : "[]";
}

/** The batch's repair warnings as rows for `private.record_ingest_warnings` (`[]` when none). */
export function warningRows(batch: PreparedBatch): string {
  return batch.warning_rows ?? "[]";
}

/** The ingest statement's arguments after the project, in INGEST_SQL's (or INGEST_ROWS_SQL's) order. */
export function ingestLists(b: PreparedBatch): string[] {
  return [b.sessions, b.runs, b.spans, b.events, b.prompt_links, scores(b), warningRows(b)];
}

/**
 * The OTLP ingest statement (migration 035): $1 project, then OTLP_LISTS' nine JSON texts
 * (the native statement's seven lists, then the trace runs). One statement, one transaction.
 */
export const INGEST_OTLP_SQL = `SELECT private.ingest_otlp_batch($1::uuid, $2::text::jsonb, $3::text::jsonb,
  $4::text::jsonb, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8::text::jsonb, $9::text::jsonb)`;

/** The OTLP statement's JSON arguments after the project, in INGEST_OTLP_SQL's order. */
export function otlpLists(p: PreparedOtlp): string[] {
  return [...ingestLists(p), p.trace_runs];
}

/** The resolve query; $1 project, $2 slug, $3 label, $4 version (or NULL). */
export const RESOLVE_PROMPT_SQL = `SELECT prompt_version_id AS id, prompt_id, version_number, content, model,
    temperature::float8 AS temperature, max_tokens, variables, content_hash
  FROM public.dashboard_resolve_prompt($1::uuid, $2, $3, $4::integer)`;

/** A resolve row as the SDK's model wants it (numbers as numbers, only allowed keys). */
export function promptVersion(r: Record<string, unknown>): PromptVersion {
  return {
    id: String(r.id),
    prompt_id: String(r.prompt_id),
    version_number: Number(r.version_number),
    content: String(r.content),
    model: (r.model as string | null) ?? null,
    temperature: r.temperature === null || r.temperature === undefined ? null : Number(r.temperature),
    max_tokens: r.max_tokens === null || r.max_tokens === undefined ? null : Number(r.max_tokens),
    variables: (r.variables ?? []) as unknown[],
    content_hash: String(r.content_hash),
  };
}
