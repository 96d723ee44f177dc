/**
 * How the viewer's read API turns a read model's rows into JSON text, on PGlite with one
 * trace of 5,000 spans: `jsonb_agg(to_jsonb(row))` against `json_agg(row)` (what
 * scripts/lib/read_api.ts does), with the bare function (`count(*)`) and the rows fetched into
 * JavaScript as references. Interleaved, 9 rounds; best and median per variant, and ratios of
 * the bests.
 *
 *   deno run --frozen -A bench/viewer_read_bench.ts
 *
 * @module
 */
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import { prepare_batch } from "../supabase/functions/_shared/core.ts";
import { createPgliteStore } from "../supabase/functions/_shared/pglite_store.ts";
import { migrate, pgliteMigrationDb } from "../scripts/lib/migrate.ts";

const SPANS = 5000;
const ROUNDS = 9;
const lite = await PGlite.create();
const db = pgliteMigrationDb(lite);
await migrate(db);
const project = crypto.randomUUID();
await db.query("SELECT public.create_or_rotate_project_api_key($1::uuid, 'bench', $2::uuid, $3)", [
  project,
  crypto.randomUUID(),
  "0".repeat(64),
]);
const run = crypto.randomUUID();
const session = crypto.randomUUID();
const t = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const root = crypto.randomUUID();
const spans: unknown[] = [{ id: root, run_id: run, kind: "agent", name: "root", started_at: t(0), status: "ok" }];
for (let i = 1; i < SPANS; i++) {
  spans.push({
    id: crypto.randomUUID(),
    run_id: run,
    parent_span_id: root,
    kind: i % 2 ? "model" : "tool",
    name: `call-${i}`,
    started_at: t(i * 10),
    ended_at: t(i * 10 + 8),
    status: "ok",
    attributes: { step: i, model: "gpt-4o-mini", input_tokens: 120, output_tokens: 30 },
  });
}
const body = JSON.stringify({
  schema_version: 2,
  sessions: [{ id: session, created_at: t(0) }],
  runs: [{ id: run, session_id: session, name: "bench", started_at: t(0), status: "ok" }],
  spans,
});
const prepared = prepare_batch(new TextEncoder().encode(body), project, undefined);
if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
await createPgliteStore(lite).ingest(project, prepared);

const CALL = "public.dashboard_list_trace_spans($1::uuid, $2::uuid)";
const variants: Record<string, string> = {
  "count(*) (the read model alone)": `SELECT count(*) AS n FROM ${CALL}`,
  "jsonb_agg(to_jsonb(row)) as text":
    `SELECT (SELECT coalesce(jsonb_agg(to_jsonb(t) - 'ordinality' ORDER BY t.ordinality),
      '[]'::jsonb) FROM ${CALL} WITH ORDINALITY AS t)::text AS body`,
  "json_agg(row) as text (read_api.ts)": `SELECT (SELECT coalesce(json_agg(t.r ORDER BY t.n), '[]'::json)
      FROM (SELECT q.r, row_number() OVER () AS n FROM (SELECT ${CALL} AS r) q) t)::text AS body`,
  "rows into JavaScript": `SELECT * FROM ${CALL}`,
};
const times: Record<string, number[]> = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, sql] of Object.entries(variants)) {
    const started = performance.now();
    await db.query(sql, [project, run]);
    (times[name] ??= []).push(performance.now() - started);
  }
}
const best: Record<string, number> = {};
console.log(`dashboard_list_trace_spans, one trace of ${SPANS} spans, PGlite, ${ROUNDS} interleaved rounds`);
for (const [name, list] of Object.entries(times)) {
  list.sort((a, b) => a - b);
  best[name] = list[0];
  console.log(`  ${name.padEnd(40)} best ${list[0].toFixed(1)} ms, median ${list[ROUNDS >> 1].toFixed(1)} ms`);
}
const [, jsonb, json] = Object.keys(variants);
console.log(`  jsonb / json (bests): ${(best[jsonb] / best[json]).toFixed(2)}`);
await lite.close();
