/**
 * The `Store` on PostgreSQL through npm:pg, on `SUPABASE_DB_URL` as Supabase provides it to
 * every function. The wasm core prepares batches for it in binary (`batchFormat`): one
 * PostgreSQL binary array per column, which go as binary bind parameters (npm:pg sends a
 * `Buffer` parameter with format code 1) to `private.ingest_prepared_typed` (migration 038).
 * PostgreSQL receives every value as it is stored — 16 bytes per id, 8 per timestamp — and
 * parses no text; the prompt links, scores and warnings go as JSON text. Batches prepared as
 * rows or JSON (tools, tests) go to `private.ingest_prepared_rows` / `ingest_prepared_batch`.
 *
 * Round trips: one per key lookup, one per batch. A batch is one statement, which is its
 * own transaction, so there is no BEGIN/COMMIT. npm:pg sends an unnamed statement's Parse,
 * Bind, Describe, Execute and Sync together (no prepared statements are kept, which
 * Supabase's pooler in transaction mode would not keep either), so a statement with
 * parameters is one round trip. The statement timeout is a startup parameter of each
 * connection instead of a `SET` per request. Connections stay open for
 * `idleTimeoutSeconds`, and `warmUp()` opens them ahead of the first request.
 *
 * The first batch on a fresh backend also pays for compiling the plpgsql functions and
 * loading the tables' and indexes' catalog entries; `warmUp()` pays it ahead of time by
 * writing a small batch (all six kinds) for a throwaway project and rolling it back.
 *
 * npm:pg reads libpq's environment variables (`PGHOST`, `PGUSER`, …, and `USER`) as defaults
 * for what the URL leaves out, as soon as it is loaded; under Deno that needs permission to
 * read them. It is therefore loaded by the first store created (`loadPg`), not when this
 * module is imported: suites that import the functions without such permissions still run.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Pool } from "npm:pg@8.13.1";
import { prepare_batch, type PreparedBatch, type PreparedOtlp } from "./core.ts";
import {
  guarded,
  INGEST_OTLP_SQL,
  INGEST_TYPED_SQL,
  ingestLists,
  ingestSql,
  otlpLists,
  promptVersion,
  RESOLVE_PROMPT_SQL,
  scores,
  type Store,
  StoreError,
  warningRows,
} from "./store.ts";

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
  /**
   * Opens up to `connections` connections (default: all) and, on each, writes a small batch
   * for a throwaway project in a transaction it rolls back (nothing is kept).
   */
  warmUp(connections?: number): Promise<void>;
  /** Ends the connections. */
  close(): Promise<void>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One record of each kind, fresh ids (the warm-up's batch). */
function warmUpBatch(): string {
  const [session, run, span, event, score] = Array.from({ length: 5 }, () => crypto.randomUUID());
  const at = "2025-01-01T00:00:00.000000Z";
  return JSON.stringify({
    schema_version: 2,
    sessions: [{ id: session, created_at: at }],
    runs: [{ id: run, session_id: session, name: "warm-up", started_at: at, status: "ok" }],
    spans: [{ id: span, run_id: run, kind: "tool", name: "warm-up", started_at: at, status: "ok" }],
    events: [{ id: event, run_id: run, span_id: span, type: "custom", created_at: at }],
    scores: [{
      id: score,
      trace_id: run,
      span_id: span,
      name: "warm-up",
      value: 1,
      data_type: "numeric",
      source: "api",
      created_at: at,
    }],
  });
}

/**
 * The ingest statement and its parameters for a batch in any format: for binary, the 30
 * columns as Buffers (views of the core's bytes, sent in binary), then the JSON lists.
 */
export function ingestCall(projectId: string, b: PreparedBatch): { text: string; values: unknown[] } {
  if (!UUID.test(projectId)) throw new StoreError("internal", `not a project id: ${JSON.stringify(projectId)}`);
  if (b.format !== "binary") return { text: ingestSql(b), values: [projectId, ...ingestLists(b)] };
  const columns = b.columns ?? [];
  if (columns.length !== 30) throw new StoreError("internal", `a binary batch has 30 columns, not ${columns.length}`);
  return {
    text: INGEST_TYPED_SQL,
    values: [
      projectId,
      ...columns.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)),
      b.prompt_links,
      scores(b),
      warningRows(b),
    ],
  };
}

let pgModule: Promise<typeof import("npm:pg@8.13.1")> | undefined;

/** npm:pg, loaded once, on first use (see the module documentation). */
export function loadPg(): Promise<typeof import("npm:pg@8.13.1")> {
  return pgModule ??= import("npm:pg@8.13.1");
}

/** A store on the database at `url`; `close()` ends its connections. */
export function createPgStore(url: string, options: PgStoreOptions = {}): PgStore {
  const timeout = Math.max(1, Math.floor(options.statementTimeoutMs ?? 15_000));
  const max = options.maxConnections ?? 4;
  const pooled: Promise<Pool> = loadPg().then(({ default: pg }) => {
    const pool = new pg.Pool({
      connectionString: url,
      max,
      connectionTimeoutMillis: Math.round((options.connectTimeoutSeconds ?? 5) * 1000),
      idleTimeoutMillis: Math.round((options.idleTimeoutSeconds ?? 300) * 1000),
      // Sent in the startup message: every statement on these connections has the timeout,
      // without a SET (and its round trip) per request.
      statement_timeout: timeout,
    });
    // An idle connection that breaks (a server restart) is dropped by the pool, which opens
    // a new one when needed; without a listener the error would end the isolate.
    pool.on("error", () => {});
    return pool;
  });

  return {
    batchFormat: "binary",

    resolveApiKey: (keyHash) =>
      guarded(async () => {
        // No stored key has any other form (api_keys_key_hash_is_sha256_hex).
        if (!SHA256_HEX.test(keyHash)) return null;
        const { rows } = await (await pooled).query("SELECT project_id FROM private.resolve_api_key($1)", [keyHash]);
        return rows.length > 0 ? String(rows[0].project_id) : null;
      }),

    ingest: (projectId: string, b: PreparedBatch) =>
      guarded(async () => {
        // One statement, so one transaction, in one round trip.
        await (await pooled).query(ingestCall(projectId, b));
      }),

    ingestOtlp: (projectId: string, p: PreparedOtlp) =>
      guarded(async () => {
        await (await pooled).query(INGEST_OTLP_SQL, [projectId, ...otlpLists(p)]);
      }),

    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const { rows } = await (await pooled).query(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return rows.length === 0 ? null : promptVersion(rows[0]);
      }),

    warmUp: (connections = max) =>
      guarded(async () => {
        // Each transaction holds a connection of its own, up to `max`.
        await Promise.all(Array.from({ length: Math.min(connections, max) }, async () => {
          const project = crypto.randomUUID();
          const batch = prepare_batch(new TextEncoder().encode(warmUpBatch()), project, undefined, "binary");
          if (!batch.ok) throw new Error(`the warm-up batch is invalid: ${batch.error}`);
          const client = await (await pooled).connect();
          let broken: unknown;
          try {
            await client.query("BEGIN");
            await client.query("INSERT INTO private.projects (id, name) VALUES ($1, 'warm-up')", [project]);
            await client.query(ingestCall(project, batch));
          } finally {
            try {
              await client.query("ROLLBACK");
            } catch (e) {
              broken = e;
            }
            // A connection whose ROLLBACK failed is not given back to the pool.
            client.release(broken instanceof Error ? broken : undefined);
          }
        }));
      }),

    close: async () => await (await pooled).end(),
  };
}
