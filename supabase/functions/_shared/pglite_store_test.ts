import assert from "node:assert/strict";
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import { migrate, pgliteMigrationDb } from "../../../scripts/lib/migrate.ts";
import { requirePermissionSet } from "../../../tests/e2e/_requires.ts";
import { BatchGenerator } from "../../../bench/sdk_batch.ts";
import { prepare_batch, type PreparedBatch } from "./core.ts";
import { type AnalyzeRule, createPgliteStore } from "./pglite_store.ts";

const ignore = requirePermissionSet(
  "the PGlite store",
  "to read the repository (PGlite reads its own files; the migrations)",
  { name: "read", path: new URL("../../../", import.meta.url) },
);
const PROJECT = "3a6f0c52-4a7e-4d51-9a3b-0c1d2e3f4a5b";
const generator = new BatchGenerator(11);

function batchOf(records: number): PreparedBatch {
  const body = new TextEncoder().encode(JSON.stringify(generator.batchOfRecords(records)));
  const prepared = prepare_batch(body, PROJECT, undefined, "rows");
  if (!prepared.ok) throw new Error(prepared.error);
  const c = prepared.counts;
  assert.equal(c.sessions + c.runs + c.spans + c.events, records);
  return prepared;
}

/** A migrated in-memory PGlite with the project, and the hot tables' state: reltuples of
 * each (-1 until an ANALYZE) and how many rows they hold. */
async function database() {
  const db = await PGlite.create();
  await migrate(pgliteMigrationDb(db));
  await db.query("INSERT INTO private.projects (id, name) VALUES ($1, 'analyze')", [PROJECT]);
  const state = async () =>
    (await db.query<{ relname: string; reltuples: number; n: number }>(
      `SELECT c.relname, c.reltuples::float8 AS reltuples, CASE c.relname
          WHEN 'sessions' THEN (SELECT count(*) FROM private.sessions) WHEN 'runs' THEN (SELECT count(*) FROM private.runs)
          WHEN 'spans' THEN (SELECT count(*) FROM private.spans) ELSE (SELECT count(*) FROM private.events) END::int AS n
       FROM pg_catalog.pg_class c WHERE c.relnamespace = 'private'::regnamespace
         AND c.relname IN ('sessions', 'runs', 'spans', 'events') ORDER BY c.relname`,
    )).rows;
  return { db, state };
}

Deno.test("PGlite store: analyzes the hot tables once the records since the last ANALYZE reach the rule", {
  ignore,
}, async () => {
  const { db, state } = await database();
  try {
    const analyzed: { ms: number; error?: unknown }[] = [];
    // At least 10 records, and as many as the tables held at the last ANALYZE (fraction 1).
    const rule: AnalyzeRule = { minRecords: 10, fraction: 1, onAnalyze: (r) => analyzed.push(r) };
    const store = createPgliteStore(db, { analyze: rule });
    const never = (await state()).every((t) => t.reltuples === -1);
    assert.ok(never, "a fresh table has never been analyzed");

    await store.ingest(PROJECT, batchOf(40)); // 40 ≥ max(10, 0): analyzed
    assert.equal(analyzed.length, 1);
    assert.equal(analyzed[0].error, undefined);
    for (const t of await state()) assert.equal(t.reltuples, t.n, `${t.relname}: the ANALYZE counted its rows`);

    await store.ingest(PROJECT, batchOf(30)); // 30 < 40 rows counted: not yet
    assert.equal(analyzed.length, 1);
    const stale = await state();
    assert.ok(stale.some((t) => t.reltuples !== t.n), "the tables grew past their statistics");

    await store.ingest(PROJECT, batchOf(20)); // 50 ≥ 40: analyzed again
    assert.equal(analyzed.length, 2);
    for (const t of await state()) assert.equal(t.reltuples, t.n, `${t.relname}: counted again`);
    assert.equal((await state()).reduce((n, t) => n + t.n, 0), 90);
  } finally {
    await db.close();
  }
});

Deno.test("PGlite store: analyze: false leaves the tables unanalyzed", { ignore }, async () => {
  const { db, state } = await database();
  try {
    const store = createPgliteStore(db, { analyze: false });
    for (let i = 0; i < 3; i++) await store.ingest(PROJECT, batchOf(500));
    const tables = await state();
    assert.equal(tables.reduce((n, t) => n + t.n, 0), 1500);
    assert.ok(tables.every((t) => t.reltuples === -1));
  } finally {
    await db.close();
  }
});

Deno.test("PGlite store: the default rule analyzes from 1,000 records", { ignore }, async () => {
  const { db, state } = await database();
  try {
    const store = createPgliteStore(db);
    await store.ingest(PROJECT, batchOf(998));
    assert.ok((await state()).every((t) => t.reltuples === -1));
    await store.ingest(PROJECT, batchOf(2)); // a session and a run: 1,000
    for (const t of await state()) assert.equal(t.reltuples, t.n);
  } finally {
    await db.close();
  }
});
