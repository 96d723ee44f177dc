/**
 * The `Store` on PostgreSQL through postgres.js, on `SUPABASE_DB_URL` as Supabase provides
 * it to every function. Prepared statements are off (Supabase's pooler in transaction mode
 * does not keep them). The prepared JSON texts of the wasm core go straight through as
 * `jsonb` parameters.
 *
 * Round trips: a batch is one statement (`private.ingest_prepared_batch`, migration 030),
 * which is its own transaction, so there is no BEGIN/COMMIT; the statement timeout is a
 * startup parameter of each connection instead of a `SET LOCAL` per request; the array-type
 * query postgres.js runs on every new connection is skipped (no array parameters or results
 * here). Connections stay open for `idleTimeoutSeconds`, and `warmUp()` opens them ahead of
 * the first request.
 *
 * @module
 */
import postgres from "npm:postgres@3.4.9";
import type { PreparedBatch } from "./core.ts";
import { guarded, INGEST_SQL, promptVersion, RESOLVE_PROMPT_SQL, scores, type Store } from "./store.ts";

/** Connection settings. */
export interface PgStoreOptions {
  /** Longest a statement may run before the request is answered 503 (default 15 s). */
  statementTimeoutMs?: number;
  /** Seconds to wait for a connection (default 5). */
  connectTimeoutSeconds?: number;
  /** Most connections per isolate (default 4). */
  maxConnections?: number;
  /** Seconds an idle connection is kept (default 300; a new one costs a connection set-up). */
  idleTimeoutSeconds?: number;
}

/** A PostgreSQL store; `close()` ends its connections, `warmUp()` opens them ahead of use. */
export interface PgStore extends Store {
  /** Opens up to `connections` connections (default: all) and runs a cheap query on each. */
  warmUp(connections?: number): Promise<void>;
  /** Ends the connections. */
  close(): Promise<void>;
}

/** A store on the database at `url`; `close()` ends its connections. */
export function createPgStore(url: string, options: PgStoreOptions = {}): PgStore {
  const timeout = Math.max(1, Math.floor(options.statementTimeoutMs ?? 15_000));
  const max = options.maxConnections ?? 4;
  const sql = postgres(url, {
    prepare: false,
    max,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: options.idleTimeoutSeconds ?? 300,
    fetch_types: false,
    // Sent in the startup message: every statement on these connections has the timeout,
    // without a SET (and its round trip) per request.
    connection: { statement_timeout: timeout },
    onnotice: () => {},
  });

  return {
    resolveApiKey: (keyHash) =>
      guarded(async () => {
        const rows = await sql`SELECT project_id FROM private.resolve_api_key(${keyHash})`;
        return rows.length > 0 ? String(rows[0].project_id) : null;
      }),

    ingest: (projectId: string, b: PreparedBatch) =>
      guarded(async () => {
        // One statement, so one transaction. `::text::jsonb`: given a bare `::jsonb`, postgres.js
        // would infer a JSON parameter and serialise the (already JSON) text a second time.
        await sql.unsafe(INGEST_SQL, [projectId, b.sessions, b.runs, b.spans, b.events, b.prompt_links, scores(b)]);
      }),

    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const rows = await sql.unsafe(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return rows.length === 0 ? null : promptVersion(rows[0]);
      }),

    warmUp: (connections = max) =>
      guarded(async () => {
        // Concurrent queries each take a connection of their own while there are fewer than `max`.
        await Promise.all(Array.from({ length: Math.min(connections, max) }, () => sql`SELECT 1`));
      }),

    close: () => sql.end({ timeout: 5 }),
  };
}
