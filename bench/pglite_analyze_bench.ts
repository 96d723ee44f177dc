/**
 * The local server's PGlite store with and without its ANALYZE rule (pglite_store.ts), in one
 * run: two in-memory PGlite databases get the same 100 SDK batches of 2,000 records (two
 * projects), one through a store with its default ANALYZE rule, one through a store that
 * never analyzes (PGlite has no autovacuum); then, interleaved, the viewer's read models and
 * 2,000-record writes on both. Prints medians and the ratio (unanalyzed ms / analyzed ms).
 *
 *   deno task bench:pglite
 *
 * @module
 */
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import { prepare_batch, type PreparedBatch } from "../supabase/functions/_shared/core.ts";
import { createPgliteStore, DEFAULT_ANALYZE } from "../supabase/functions/_shared/pglite_store.ts";
import { migrate, pgliteMigrationDb } from "../scripts/lib/migrate.ts";
import { BatchGenerator } from "./sdk_batch.ts";

const BATCHES = 100;
const ROUNDS = 7;
const PROJECTS = ["0a000000-0000-4000-8000-000000000001", "0a000000-0000-4000-8000-000000000002"];
const encoder = new TextEncoder();
const generator = new BatchGenerator(5);
const batch = (project: string): PreparedBatch => {
  const p = prepare_batch(encoder.encode(JSON.stringify(generator.batchOfRecords(2_000))), project, undefined, "rows");
  if (!p.ok) throw new Error(p.error);
  return p;
};

const analyses: number[] = [];
const sides = await Promise.all(([true, false] as const).map(async (analyze) => {
  const db = await PGlite.create();
  await migrate(pgliteMigrationDb(db));
  for (const id of PROJECTS) await db.query("INSERT INTO private.projects (id, name) VALUES ($1, 'bench')", [id]);
  const store = createPgliteStore(db, {
    analyze: analyze && { ...DEFAULT_ANALYZE, onAnalyze: ({ ms }) => analyses.push(ms) },
  });
  return { name: analyze ? "analyzed" : "never analyzed", db, store };
}));
const fillStart = performance.now();
for (let i = 0; i < BATCHES; i++) {
  const b = batch(PROJECTS[i % 2]);
  for (const side of sides) await side.store.ingest(PROJECTS[i % 2], b);
}
console.log(
  `filled both with ${BATCHES} × 2,000 records in ${((performance.now() - fillStart) / 1000).toFixed(1)} s; ` +
    `the analyzed store ran ANALYZE ${analyses.length} times, ${
      (analyses.reduce((a, b) => a + b, 0) / 1000).toFixed(1)
    } s in all (median ${[...analyses].sort((a, b) => a - b)[analyses.length >> 1]?.toFixed(0)} ms)`,
);

// One session and one of its runs of the first project (the same ids on both sides).
const [{ sid, rid }] = (await sides[0].db.query<{ sid: string; rid: string }>(
  "SELECT r.session_id AS sid, r.id AS rid FROM private.runs r WHERE r.project_id = $1 ORDER BY r.id LIMIT 1",
  [PROJECTS[0]],
)).rows;
const reads: Record<string, string> = {
  "dashboard_list_traces (a session's runs)": `SELECT count(*) FROM public.dashboard_list_traces($1::uuid, '${sid}')`,
  "dashboard_get_session": `SELECT count(*) FROM public.dashboard_get_session($1::uuid, '${sid}')`,
  "dashboard_get_trace": `SELECT count(*) FROM public.dashboard_get_trace($1::uuid, '${rid}')`,
  "dashboard_list_trace_spans": `SELECT count(*) FROM public.dashboard_list_trace_spans($1::uuid, '${rid}')`,
  "dashboard_list_trace_events": `SELECT count(*) FROM public.dashboard_list_trace_events($1::uuid, '${rid}')`,
};
const times = new Map<string, number[]>();
const time = async (key: string, work: () => Promise<unknown>) => {
  const t = performance.now();
  await work();
  (times.get(key) ?? times.set(key, []).get(key)!).push(performance.now() - t);
};
for (let round = 0; round < ROUNDS; round++) {
  const b = batch(PROJECTS[round % 2]);
  for (const side of round % 2 ? sides : [...sides].reverse()) {
    for (const [name, sql] of Object.entries(reads)) {
      await time(`${name}|${side.name}`, () => side.db.query(sql, [PROJECTS[0]]));
    }
    await time(`write of 2,000 records|${side.name}`, () => side.store.ingest(PROJECTS[round % 2], b));
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(
  `PGlite, ${BATCHES * 2_000 + ROUNDS * 2_000} records over 2 projects; medians of ${ROUNDS} interleaved rounds`,
);
console.log(
  `${"".padEnd(42)} ${"analyzed".padStart(10)} ${"never analyzed".padStart(15)} ${"never/analyzed".padStart(15)}`,
);
for (const name of [...Object.keys(reads), "write of 2,000 records"]) {
  const a = median(times.get(`${name}|analyzed`)!), n = median(times.get(`${name}|never analyzed`)!);
  console.log(
    `${name.padEnd(42)} ${`${a.toFixed(1)} ms`.padStart(10)} ${`${n.toFixed(1)} ms`.padStart(15)} ${
      (n / a).toFixed(2).padStart(15)
    }`,
  );
}
for (const side of sides) await side.db.close();
