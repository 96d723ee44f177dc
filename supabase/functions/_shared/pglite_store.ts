/**
 * The `Store` on PGlite (PostgreSQL compiled to wasm, in-process), for the local server's
 * embedded default database.
 *
 * @module
 */
import type { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import type { PreparedBatch, PreparedOtlp } from "./core.ts";
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

/** A store on an open PGlite database (the caller opens and closes it). */
export function createPgliteStore(db: PGlite): Store {
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
      }),
    ingestOtlp: (projectId: string, p: PreparedOtlp) =>
      guarded(async () => {
        await db.query(INGEST_OTLP_SQL, [projectId, ...otlpLists(p)]);
      }),
    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const r = await db.query<Record<string, unknown>>(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return r.rows.length === 0 ? null : promptVersion(r.rows[0]);
      }),
  };
}
