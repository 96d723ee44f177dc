// The PostgreSQL store's request path on a real PostgreSQL 15 (scripts/test-e2e.sh): one
// round trip per key lookup and per batch of any size (counted by a TCP proxy), values that
// hold quotes, backslashes and dollar signs stored exactly in each format (binary columns,
// rows, JSON), timestamps from the core's binary encoder stored as PostgreSQL reads their
// text, the statement timeout in force without a SET, the warm-up keeps nothing, and
// refusals keep their classification (400 / 503).
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { hash_api_key, prepare_batch } from "../../supabase/functions/_shared/core.ts";
import { createPgStore } from "../../supabase/functions/_shared/pg_store.ts";
import { StoreError } from "../../supabase/functions/_shared/store.ts";
import { readVariable, requirePostgres } from "./_requires.ts";
import { countingProxy } from "./lib/counting_proxy.ts";

const url = readVariable("SUPABASE_DB_URL");
const SUITE = "pg_store on PostgreSQL 15 (round trips, formats, timeout, warm-up)";
const P = "c1c1c1c1-0000-4000-8000-000000000000";
const KEY = "ns_pg_store_e2e_" + crypto.randomUUID();

/** A batch prepared as the store asks (binary), or as rows or JSON (which the store also takes). */
function prepared(body: unknown, format: "binary" | "rows" | "json" = "binary") {
  const b = prepare_batch(new TextEncoder().encode(JSON.stringify(body)), P, undefined, format);
  assert.ok(b.ok, JSON.stringify(b));
  return b;
}

function score(traceId: string) {
  return {
    id: crypto.randomUUID(),
    trace_id: traceId,
    name: "q",
    value: 1,
    data_type: "numeric",
    source: "api",
    created_at: "2025-03-01T12:05:00Z",
  };
}

function batch(content: unknown = "plain") {
  const [session, run, span, event] = Array.from({ length: 4 }, () => crypto.randomUUID());
  return {
    ids: { session, run, span, event },
    body: {
      schema_version: 2,
      sessions: [{ id: session, created_at: "2025-03-01T12:00:00Z" }],
      runs: [{ id: run, session_id: session, name: "r", started_at: "2025-03-01T12:00:00Z", status: "ok" }],
      spans: [{ id: span, run_id: run, kind: "tool", name: "t", started_at: "2025-03-01T12:00:01Z", status: "ok" }],
      events: [{ id: event, run_id: run, span_id: span, type: "custom", created_at: "2025-03-01T12:00:02Z", content }],
    },
  };
}

Deno.test({
  name:
    "pg_store: one round trip per statement, every format stored exactly, timeout without SET, warm-up keeps nothing",
  ignore: requirePostgres(SUITE),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = postgres(url!, { onnotice: () => {}, max: 1 });
    await sql`SELECT public.create_or_rotate_project_api_key(${P}::uuid, 'pg_store', gen_random_uuid(), ${
      hash_api_key(KEY)
    })`;
    const proxy = countingProxy(new URL(url!));
    const store = createPgStore(proxy.url, { maxConnections: 1 });
    try {
      await t.step("one round trip per key lookup and per batch of any size (with scores too)", async () => {
        assert.equal(store.batchFormat, "binary", "the store takes batches as binary columns (migration 038)");
        assert.equal(await store.resolveApiKey(hash_api_key(KEY)), P); // opens the connection
        proxy.take();
        assert.equal(await store.resolveApiKey(hash_api_key(KEY)), P);
        assert.equal(proxy.take(), 1, "key lookup");
        const { body, ids } = batch();
        await store.ingest(P, prepared({ ...body, scores: [score(ids.run)] }));
        assert.equal(proxy.take(), 1, "batch with a score");
        const big = batch("x".repeat(256 * 1024));
        await store.ingest(P, prepared({ ...big.body, scores: [score(big.ids.run)] }));
        assert.equal(proxy.take(), 1, "a 256 KB batch");
        const [stored] = await sql`SELECT (SELECT count(*) FROM private.events WHERE id = ${big.ids.event})::int AS e,
          (SELECT count(*) FROM private.scores WHERE trace_id = ${big.ids.run})::int AS s`;
        assert.deepEqual(stored, { e: 1, s: 1 });
        for (const format of ["rows", "json"] as const) {
          await store.ingest(P, prepared(batch().body, format));
          assert.equal(proxy.take(), 1, `a batch prepared as ${format}`);
        }
        assert.equal(await store.resolveApiKey("not-a-hash"), null);
        assert.equal(proxy.take(), 0, "a malformed hash needs no lookup");
      });

      await t.step("values with quotes, backslashes, dollar quotes and unicode are stored exactly", async () => {
        const tricky: Record<string, string> = {
          q: "it's \"quoted\" \\ back\\slash $$ $ns$ $nsabc$ $1 '; DROP TABLE private.events; --",
          u: "é ✓ 😀 \u2028",
        };
        for (const format of ["binary", "rows", "json"] as const) {
          const { body, ids } = batch({ ...tricky, format });
          body.runs[0].name = tricky.q + tricky.u;
          await store.ingest(P, prepared(body, format));
          const [row] = await sql`SELECT e.content, r.name FROM private.events e JOIN private.runs r ON r.id = e.run_id
            WHERE e.id = ${ids.event}`;
          assert.deepEqual(row, { content: { ...tricky, format }, name: tricky.q + tricky.u }, format);
        }
      });

      await t.step("timestamps from the binary encoder are the instants PostgreSQL reads from their text", async () => {
        const times = [
          "2025-03-01T12:00:00Z",
          "2025-03-01T12:00:00.120004Z",
          "2025-03-01T12:00:00.1+05:30",
          "2025-03-01T12:00:00-08:45",
          "2024-02-29T24:00:00Z",
          "0001-01-01T00:00:00Z",
          "9999-12-31T23:59:59.999999+15:59",
          "2000-01-01T00:00:00.0000005Z",
          "2000-01-01T00:00:00.0000015Z",
          "2000-01-01T00:00:00.00000051Z",
          "2000-01-01T00:00:00.1234565Z",
          "1999-12-31T23:59:59.9999995Z",
          "2025-06-30T23:59:59.99999999999999999999999999999999-00:30",
        ];
        const { body, ids } = batch();
        const events = times.map((t, i) => ({ ...body.events[0], id: crypto.randomUUID(), created_at: t, content: i }));
        await store.ingest(P, prepared({ ...body, events }));
        const rows = await sql`SELECT e.content::int AS i, (e.created_at = (t.text)::timestamptz) AS same,
            e.created_at::text AS stored, (t.text)::timestamptz::text AS parsed
          FROM private.events e JOIN unnest(${times}::text[]) WITH ORDINALITY AS t(text, n) ON t.n = e.content::int + 1
          WHERE e.run_id = ${ids.run} ORDER BY 1`;
        assert.equal(rows.length, times.length);
        for (const r of rows) assert.ok(r.same, `${times[r.i]}: stored ${r.stored}, PostgreSQL reads ${r.parsed}`);
      });

      await t.step("refusals keep their classification through the one statement", async () => {
        const { body } = batch();
        // The run names a session that is neither in the batch nor stored.
        body.runs[0].session_id = crypto.randomUUID();
        const other = prepared({ ...body, sessions: [], spans: [], events: [], scores: [] });
        await assert.rejects(store.ingest(P, other), (e) => {
          assert.ok(e instanceof StoreError);
          assert.equal(e.kind, "client");
          assert.match(e.message, /not found for project/);
          return true;
        });
        // A refused score refuses the batch: its run is not kept.
        const { body: b2, ids } = batch();
        const refused = prepared({ ...b2, scores: [score(crypto.randomUUID())] });
        await assert.rejects(store.ingest(P, refused), (e) => e instanceof StoreError && e.kind === "client");
        assert.equal((await sql`SELECT count(*)::int AS n FROM private.runs WHERE id = ${ids.run}`)[0].n, 0);
      });

      await t.step("the statement timeout is in force on every connection, without a SET", async () => {
        const short = createPgStore(url!, { statementTimeoutMs: 1, maxConnections: 1 });
        try {
          const big = batch();
          big.body.events = Array.from({ length: 5_000 }, (_, i) => ({
            ...big.body.events[0],
            id: crypto.randomUUID(),
            content: `event ${i}`,
          }));
          await assert.rejects(short.ingest(P, prepared(big.body)), (e) => {
            assert.ok(e instanceof StoreError);
            assert.equal(e.kind, "unavailable", e.message);
            // query_canceled: PostgreSQL reports a timeout that fires this early as "due to user request".
            assert.equal((e.cause as { code?: string }).code, "57014", e.message);
            return true;
          });
        } finally {
          await short.close();
        }
      });

      await t.step("the warm-up opens the connections and keeps nothing", async () => {
        const counts = () =>
          sql`SELECT (SELECT count(*) FROM private.projects)::int AS p, (SELECT count(*) FROM private.runs)::int AS r,
            (SELECT count(*) FROM private.scores)::int AS s`;
        const before = await counts();
        const warm = createPgStore(url!, { maxConnections: 3 });
        try {
          await warm.warmUp();
          const [{ n }] = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;
          assert.ok(n >= 3, `${n} connections`);
        } finally {
          await warm.close();
        }
        assert.deepEqual(await counts(), before);
      });
    } finally {
      await store.close();
      proxy.close();
      await sql.end();
    }
  },
});
