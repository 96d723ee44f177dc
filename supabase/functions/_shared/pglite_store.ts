/**
 * The `Store` on PGlite (PostgreSQL compiled to wasm, in-process), for the local server's
 * embedded default database.
 *
 * PGlite runs PostgreSQL as a single backend: no autovacuum, so no table is ever analyzed
 * unless someone runs `ANALYZE`. The planner then keeps its defaults for every column
 * (0.5% of a table for `project_id = $1`, whatever the data), and a read model that should
 * take an index picks a plan made for the wrong sizes: on 200,000 records, the viewer's
 * trace list took 28 ms instead of 2. This store therefore does what autovacuum's analyze
 * rule does on a server: once the records written since the last `ANALYZE` reach a
 * threshold (at least `minRecords`, and `fraction` of the hot tables' rows counted by that
 * `ANALYZE`: DEFAULT_ANALYZE), it analyzes sessions, runs, spans and events, right after the write that
 * crossed it has committed (that request waits for it: PGlite is one backend, and the next
 * statement would wait anyway; it samples at most 30,000 rows a table, about half a second
 * on 200,000 records here). An ANALYZE that fails does not fail the write before it.
 *
 * @module
 */
import type { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import type { Counts, PreparedBatch, PreparedOtlp } from "./core.ts";
import {
  guarded,
  INGEST_OTLP_SQL,
  ingestLists,
  ingestSql,
  otlpLists,
  promptVersion,
  RESOLVE_PROMPT_SQL,
  type Store,
} from "./store.ts";

/** When the store analyzes the hot tables (see the module's comment). */
export interface AnalyzeRule {
  /** Records written since the last ANALYZE before the next one, at least. */
  minRecords: number;
  /** …and at least this fraction of the rows the last ANALYZE counted (autovacuum: 0.1). */
  fraction: number;
  /** Told when an ANALYZE ends: how long it took, or its error (the next write tries again). */
  onAnalyze?: (result: { ms: number; error?: unknown }) => void;
}

/**
 * The default rule: from 1,000 records, then each time the tables have grown by half
 * (autovacuum's scale factor is 0.1, but it works in the background; here a request waits,
 * and the planner scales the row counts of the statistics by the tables' current size
 * anyway, so what goes stale between two runs is only the shape of the data).
 */
export const DEFAULT_ANALYZE: AnalyzeRule = { minRecords: 1_000, fraction: 0.5 };

const ANALYZE_SQL = "ANALYZE private.sessions, private.runs, private.spans, private.events";
const HOT_ROWS_SQL = `SELECT sum(greatest(c.reltuples, 0))::float8 AS n FROM pg_catalog.pg_class c
  WHERE c.oid IN ('private.sessions'::regclass, 'private.runs'::regclass, 'private.spans'::regclass,
    'private.events'::regclass)`;

const records = (c: Counts) => c.sessions + c.runs + c.spans + c.events;

/**
 * A store on an open PGlite database (the caller opens and closes it). `analyze: false`
 * leaves the tables unanalyzed (for comparison).
 */
export function createPgliteStore(db: PGlite, options: { analyze?: AnalyzeRule | false } = {}): Store {
  const rule = options.analyze === undefined ? DEFAULT_ANALYZE : options.analyze;
  let written = 0;
  let counted = 0;
  /** After a committed write of `n` records: the hot tables' ANALYZE, when due. */
  const wrote = async (n: number) => {
    if (!rule) return;
    written += n;
    if (written < Math.max(rule.minRecords, rule.fraction * counted)) return;
    const started = performance.now();
    try {
      await db.exec(ANALYZE_SQL);
      counted = (await db.query<{ n: number }>(HOT_ROWS_SQL)).rows[0].n;
      written = 0;
      rule.onAnalyze?.({ ms: performance.now() - started });
    } catch (error) {
      rule.onAnalyze?.({ ms: performance.now() - started, error });
    }
  };
  return {
    batchFormat: "rows",
    resolveApiKey: (keyHash) =>
      guarded(async () => {
        const r = await db.query<{ project_id: string }>(
          "SELECT project_id FROM private.resolve_api_key($1)",
          [keyHash],
        );
        return r.rows[0]?.project_id ?? null;
      }),
    ingest: (projectId: string, b: PreparedBatch) =>
      guarded(async () => {
        // One statement, one transaction (migration 030), as on PostgreSQL.
        await db.query(ingestSql(b), [projectId, ...ingestLists(b)]);
        await wrote(records(b.counts));
      }),
    ingestOtlp: (projectId: string, p: PreparedOtlp) =>
      guarded(async () => {
        await db.query(INGEST_OTLP_SQL, [projectId, ...otlpLists(p)]);
        await wrote(records(p.counts));
      }),
    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const r = await db.query<Record<string, unknown>>(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return r.rows.length === 0 ? null : promptVersion(r.rows[0]);
      }),
  };
}
