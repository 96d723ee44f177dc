import assert from "node:assert/strict";
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import { migrate, migrationFiles, pgliteMigrationDb } from "../../../scripts/lib/migrate.ts";
import corpusJson from "../../../tests/fixtures/prompt-corpus.json" with { type: "json" };
import { requirePermissionSet } from "../../../tests/e2e/_requires.ts";
import { INGEST_SQL } from "./store.ts";

// PGlite reads its own wasm and data files, and the runner reads supabase/migrations/: that
// needs what `deno test -P` grants, and plain `deno test` skips this with one line.
const ignore = requirePermissionSet(
  "the migrations on PGlite",
  "to read the repository (PGlite reads its own files; the migrations)",
  { name: "read", path: new URL("../../../", import.meta.url) },
);
const NAME = "every migration applies unchanged on PGlite; ingest and prompt functions work there";

Deno.test(NAME, { ignore }, async () => {
  const db = await PGlite.create();
  try {
    // The same runner as the local server: Supabase's roles and schemas, then each file as
    // it is, in one transaction.
    const applied = await migrate(pgliteMigrationDb(db));
    assert.equal(applied.length, migrationFiles().length);
    await db.exec(`INSERT INTO private.projects (id, name) VALUES ('7b897f13-dad3-41d8-945b-94358423ab85', 'demo')`);
    const result = await db.query<{ r: { accepted: boolean } }>(
      `SELECT private.ingest_batch_with_prompt_links($1, $2::jsonb, '[]', '[]', '[]', '[]') AS r`,
      [
        "7b897f13-dad3-41d8-945b-94358423ab85",
        '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z"}]',
      ],
    );
    assert.equal(result.rows[0].r.accepted, true);
    // The one-statement ingest (migration 030): records, then a score on the batch's own run.
    await db.query(INGEST_SQL, [
      "7b897f13-dad3-41d8-945b-94358423ab85",
      "[]",
      '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
      "[]",
      "[]",
      "[]",
      '[{"id":"5c000000-0000-4000-8000-000000000001","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"q","value":1}]',
      "[]",
    ]);
    const stored = await db.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM private.runs)::int + (SELECT count(*) FROM private.scores)::int AS n`,
    );
    assert.equal(stored.rows[0].n, 2);
    const hash = await db.query<{ h: string }>(`SELECT private.prompt_content_hash('test') AS h`);
    assert.equal(hash.rows[0].h, "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");

    // PGlite's prompt functions agree with the core on the whole shared corpus.
    const corpus: { template: string; variables: string[]; content_hash: string }[] = corpusJson;
    for (const [i, entry] of corpus.entries()) {
      const row = await db.query<{ v: { name: string }[]; h: string }>(
        `SELECT private.prompt_variables($1) AS v, private.prompt_content_hash($1) AS h`,
        [entry.template],
      );
      assert.deepEqual(row.rows[0].v.map((v) => v.name), entry.variables, `corpus #${i + 1}: ${entry.template}`);
      assert.equal(row.rows[0].h, entry.content_hash, `corpus #${i + 1} hash`);
    }
  } finally {
    await db.close();
  }
});
