/**
 * The `Store` on PGlite (PostgreSQL compiled to wasm, in-process), for the local server's
 * embedded default database.
 *
 * @module
 */
import type { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import type { PreparedBatch } from "./core.ts";
import { guarded, promptVersion, RESOLVE_PROMPT_SQL, type Store } from "./store.ts";

/** A store on an open PGlite database (the caller opens and closes it). */
export function createPgliteStore(db: PGlite): Store {
  return {
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
        await db.transaction(async (tx) => {
          // `::text::jsonb` so the prepared JSON text is parsed by PostgreSQL, not re-serialised.
          await tx.query(
            `SELECT private.ingest_batch_with_prompt_links($1::uuid, $2::text::jsonb, $3::text::jsonb,
              $4::text::jsonb, $5::text::jsonb, $6::text::jsonb)`,
            [projectId, b.sessions, b.runs, b.spans, b.events, b.prompt_links],
          );
          if (b.counts.scores > 0) {
            await tx.query("SELECT count(*) FROM public.dashboard_bulk_create_scores($1::uuid, $2::text::jsonb)", [
              projectId,
              b.scores,
            ]);
          }
          if (b.warning_rows) {
            await tx.query("SELECT private.record_ingest_warnings($1::uuid, $2::text::jsonb)", [
              projectId,
              b.warning_rows,
            ]);
          }
        });
      }),
    resolvePrompt: (projectId, slug, label, version) =>
      guarded(async () => {
        const r = await db.query<Record<string, unknown>>(RESOLVE_PROMPT_SQL, [projectId, slug, label, version]);
        return r.rows.length === 0 ? null : promptVersion(r.rows[0]);
      }),
  };
}
