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
import { guarded, promptVersion, RESOLVE_PROMPT_SQL, type Store } from "./store.ts";

/** Connection settings. */
export interface PgStoreOptions {
  /** Longest a statement may run before the request is answered 503 (default 15 s). */
  statementTimeoutMs?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutSeconds?: number;
  /** Most connections per isolate (default 4). */
  maxConnections?: number;
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

  return {
    resolveApiKey: (keyHash) =>
      guarded(async () => {
        const rows = await sql`SELECT project_id FROM private.resolve_api_key(${keyHash})`;
        return rows.length > 0 ? String(rows[0].project_id) : null;
      }),

    ingest: (projectId: string, b: PreparedBatch) =>
      guarded(async () => {
        await sql.begin(async (tx) => {
          await tx.unsafe(`SET LOCAL statement_timeout = ${timeout}`);
          // `::text::jsonb`: given a bare `::jsonb`, postgres.js would infer a JSON parameter and
          // serialise the (already JSON) text a second time.
          await tx`SELECT private.ingest_batch_with_prompt_links(${projectId}::uuid, ${b.sessions}::text::jsonb,
            ${b.runs}::text::jsonb, ${b.spans}::text::jsonb, ${b.events}::text::jsonb, ${b.prompt_links}::text::jsonb)`;
          if (b.counts.scores > 0) {
            await tx`SELECT count(*) FROM public.dashboard_bulk_create_scores(${projectId}::uuid, ${b.scores}::text::jsonb)`;
          }
          if (b.warning_rows) {
            await tx`SELECT private.record_ingest_warnings(${projectId}::uuid, ${b.warning_rows}::text::jsonb)`;
          }
        });
      }),

    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const rows = await sql.unsafe(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return rows.length === 0 ? null : promptVersion(rows[0]);
      }),

    close: () => sql.end({ timeout: 5 }),
  };
}
