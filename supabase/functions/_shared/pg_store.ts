/**
 * The `Store` on PostgreSQL through postgres.js, on `SUPABASE_DB_URL` as Supabase provides
 * it to every function. Prepared statements are off (Supabase's pooler in transaction mode
 * does not keep them). The wasm core prepares batches for it as rows (`batchFormat`), which
 * go straight through as text parameters to `private.ingest_prepared_rows` (migration 036);
 * a batch prepared as JSON goes to `private.ingest_prepared_batch` as `jsonb`.
 *
 * Round trips: one per key lookup, one per batch. A batch is one statement
 * (`private.ingest_prepared_batch`, migration 030), which is its own transaction, so there is
 * no BEGIN/COMMIT; the statement timeout is a startup parameter of each connection instead of
 * a `SET LOCAL` per request; the array-type query postgres.js runs on every new connection is
 * skipped (no array parameters or results here). With prepared statements off, postgres.js
 * sends any statement that has parameters in two round trips (Parse/Describe, then
 * Bind/Execute, to learn the parameter types), so the two hot statements carry their values
 * as literals instead: the key hash and project id after a format check, the JSON texts
 * dollar-quoted with a tag they do not contain (no escaping, nothing to inject). Only up to
 * `LITERAL_BATCH_BYTES`: measured here, a batch sent as a literal costs PostgreSQL more than
 * as parameters (2,000 records: +6% fresh, +25% re-sent), which outweighs one round trip for
 * big batches; those go as parameters, in two round trips. Connections
 * stay open for `idleTimeoutSeconds`, and `warmUp()` opens them ahead of the first request.
 *
 * The first batch on a fresh backend also pays for compiling the plpgsql functions and
 * loading the tables' and indexes' catalog entries; `warmUp()` pays it ahead of time by
 * writing a small batch (all six kinds) for a throwaway project and rolling it back.
 *
 * @module
 */
import postgres from "npm:postgres@3.4.9";
import { prepare_batch, type PreparedBatch, type PreparedOtlp } from "./core.ts";
import {
  guarded,
  INGEST_OTLP_SQL,
  ingestLists,
  ingestSql,
  otlpLists,
  promptVersion,
  RESOLVE_PROMPT_SQL,
  type Store,
  StoreError,
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
  /**
   * Batches up to this many bytes of JSON are sent as literals, in one round trip (default
   * `LITERAL_BATCH_BYTES`; 0: always as parameters, two round trips). A statement that fails
   * is written to the server log with its text (`log_min_error_statement`), so a refused
   * batch sent as literals leaves its content in the log; as parameters it does not.
   */
  literalBatchBytes?: number;
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

/** Batches up to this many bytes of JSON go as literals (one round trip), bigger ones as parameters. */
export const LITERAL_BATCH_BYTES = 64 * 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `text` as a dollar-quoted SQL string constant: PostgreSQL takes everything between the two
 * tags verbatim, so no character needs escaping; the random tag is checked not to occur in
 * `text`, so the text cannot end the constant.
 */
export function dollarQuoted(text: string): string {
  for (;;) {
    const random = crypto.getRandomValues(new Uint32Array(2));
    const tag = `$ns${random[0].toString(36)}${random[1].toString(36)}$`;
    if (!text.includes(tag)) return tag + text + tag;
  }
}

const ROLLED_BACK = new Error("rolled back");

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
 * The ingest statement with the batch's values as literals: `private.ingest_prepared_rows`
 * (036) for a batch prepared as rows, else `private.ingest_prepared_batch` (033).
 */
export function ingestStatement(projectId: string, b: PreparedBatch): string {
  if (!UUID.test(projectId)) throw new StoreError("internal", `not a project id: ${JSON.stringify(projectId)}`);
  const lists = ingestLists(b);
  const rows = b.format === "rows";
  // Rows: the four record lists are text, the other three JSON.
  const literal = (list: string, k: number) => `${dollarQuoted(list)}::${rows && k < 4 ? "text" : "jsonb"}`;
  return `SELECT private.${rows ? "ingest_prepared_rows" : "ingest_prepared_batch"}('${projectId}'::uuid, ${
    lists.map(literal).join(", ")
  })`;
}

/** A store on the database at `url`; `close()` ends its connections. */
export function createPgStore(url: string, options: PgStoreOptions = {}): PgStore {
  const timeout = Math.max(1, Math.floor(options.statementTimeoutMs ?? 15_000));
  const max = options.maxConnections ?? 4;
  const literalBytes = options.literalBatchBytes ?? LITERAL_BATCH_BYTES;
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
    batchFormat: "rows",

    resolveApiKey: (keyHash) =>
      guarded(async () => {
        // No stored key has any other form (api_keys_key_hash_is_sha256_hex).
        if (!SHA256_HEX.test(keyHash)) return null;
        const rows = await sql.unsafe(`SELECT project_id FROM private.resolve_api_key('${keyHash}')`);
        return rows.length > 0 ? String(rows[0].project_id) : null;
      }),

    ingest: (projectId: string, b: PreparedBatch) =>
      guarded(async () => {
        // One statement, so one transaction: a small batch in one round trip (values as
        // literals), a big one with parameters. `::text::jsonb`: given a bare `::jsonb`,
        // postgres.js would serialise the (already JSON) text a second time.
        const lists = ingestLists(b);
        if (lists.reduce((n, list) => n + list.length, 0) <= literalBytes) {
          await sql.unsafe(ingestStatement(projectId, b));
        } else {
          await sql.unsafe(ingestSql(b), [projectId, ...lists]);
        }
      }),

    ingestOtlp: (projectId: string, p: PreparedOtlp) =>
      guarded(async () => {
        // Always with parameters: an OTLP export is rarely small enough for the literal form
        // to matter, and one form keeps this path simple.
        await sql.unsafe(INGEST_OTLP_SQL, [projectId, ...otlpLists(p)]);
      }),

    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const rows = await sql.unsafe(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return rows.length === 0 ? null : promptVersion(rows[0]);
      }),

    warmUp: (connections = max) =>
      guarded(async () => {
        // Concurrent transactions each take a connection of their own, up to `max`.
        await Promise.all(Array.from({ length: Math.min(connections, max) }, async () => {
          const project = crypto.randomUUID();
          const batch = prepare_batch(new TextEncoder().encode(warmUpBatch()), project, undefined, "rows");
          if (!batch.ok) throw new Error(`the warm-up batch is invalid: ${batch.error}`);
          await sql.begin(async (tx) => {
            await tx.unsafe(`INSERT INTO private.projects (id, name) VALUES ('${project}', 'warm-up')`);
            await tx.unsafe(ingestStatement(project, batch));
            throw ROLLED_BACK;
          }).catch((e) => {
            if (e !== ROLLED_BACK) throw e;
          });
        }));
      }),

    close: () => sql.end({ timeout: 5 }),
  };
}
