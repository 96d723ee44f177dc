/**
 * The `Store` on PostgreSQL through postgres.js, on `SUPABASE_DB_URL` as Supabase provides
 * it to every function. Prepared statements are off (Supabase's pooler in transaction mode
 * does not keep them). The prepared JSON texts of the wasm core go straight through as
 * `jsonb` parameters.
 *
 * @module
 */
import postgres from "npm:postgres@3.4.9";
import type { PreparedBatch } from "./core.ts";
import { type PromptVersion, type Store, StoreError } from "./store.ts";

/** Connection settings. */
export interface PgStoreOptions {
  /** Longest a statement may run before the request is answered 503 (default 15 s). */
  statementTimeoutMs?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutSeconds?: number;
  /** Most connections per isolate (default 4). */
  maxConnections?: number;
}

/** SQLSTATE classes and codes that mean "try again later", not "your data is wrong". */
const UNAVAILABLE_CODES = /^(08|53|57P0[1-4]|57014|40001|40P01)/;
/** Our functions raise P0001 for refused data; 22 (data exceptions) and 23 (constraints). */
const CLIENT_CODES = /^(P0001|22|23)/;
/** Driver and socket failures: the database could not be reached. */
const CONNECTION_CODES = /^(E[A-Z]+|CONNECT_TIMEOUT|CONNECTION_CLOSED|CONNECTION_ENDED|CONNECTION_DESTROYED)$/;

/** Sorts a database failure into client / unavailable / internal. */
export function classify(e: unknown): StoreError {
  const err = e as { code?: unknown; message?: unknown; name?: unknown };
  const code = typeof err?.code === "string" ? err.code : "";
  const message = typeof err?.message === "string" ? err.message : String(e);
  if (err?.name === "PostgresError" && CLIENT_CODES.test(code)) return new StoreError("client", message, e);
  if (UNAVAILABLE_CODES.test(code) || CONNECTION_CODES.test(code)) return new StoreError("unavailable", message, e);
  if (e instanceof Deno.errors.ConnectionRefused || e instanceof Deno.errors.ConnectionReset) {
    return new StoreError("unavailable", message, e);
  }
  return new StoreError("internal", message, e);
}

/** A store on the database at `url`; `close()` ends its connections. */
export function createPgStore(url: string, options: PgStoreOptions = {}): Store & { close(): Promise<void> } {
  const sql = postgres(url, {
    prepare: false,
    max: options.maxConnections ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 20,
    onnotice: () => {},
  });
  const timeout = Math.max(1, Math.floor(options.statementTimeoutMs ?? 15_000));
  const run = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      throw e instanceof StoreError ? e : classify(e);
    }
  };

  return {
    resolveApiKey: (keyHash) =>
      run(async () => {
        const rows = await sql`SELECT project_id FROM private.resolve_api_key(${keyHash})`;
        return rows.length > 0 ? String(rows[0].project_id) : null;
      }),

    ingest: (projectId: string, b: PreparedBatch) =>
      run(async () => {
        await sql.begin(async (tx) => {
          await tx.unsafe(`SET LOCAL statement_timeout = ${timeout}`);
          // `::text::jsonb`: given a bare `::jsonb`, postgres.js would infer a JSON parameter and
          // serialise the (already JSON) text a second time.
          await tx`SELECT private.ingest_batch_with_prompt_links(${projectId}::uuid, ${b.sessions}::text::jsonb,
            ${b.runs}::text::jsonb, ${b.spans}::text::jsonb, ${b.events}::text::jsonb, ${b.prompt_links}::text::jsonb)`;
          if (b.counts.scores > 0) {
            await tx`SELECT count(*) FROM public.dashboard_bulk_create_scores(${projectId}::uuid, ${b.scores}::text::jsonb)`;
          }
        });
      }),

    resolvePrompt: (projectId, slug, label, version) =>
      run(async () => {
        const rows = await sql`SELECT prompt_version_id AS id, prompt_id, version_number, content, model,
            temperature::float8 AS temperature, max_tokens, variables, content_hash
          FROM public.dashboard_resolve_prompt(${projectId}::uuid, ${slug}, ${label}, ${version}::integer)`;
        if (rows.length === 0) return null;
        const r = rows[0];
        return {
          id: String(r.id),
          prompt_id: String(r.prompt_id),
          version_number: Number(r.version_number),
          content: String(r.content),
          model: r.model ?? null,
          temperature: r.temperature === null ? null : Number(r.temperature),
          max_tokens: r.max_tokens === null ? null : Number(r.max_tokens),
          variables: (r.variables ?? []) as unknown[],
          content_hash: String(r.content_hash),
        } satisfies PromptVersion;
      }),

    close: () => sql.end({ timeout: 5 }),
  };
}
