// The Edge Functions end to end: real HTTP, a real database with every migration, the wasm
// core — once on PostgreSQL 15 (a throwaway cluster from scripts/test-e2e.sh, which also
// provides its stop/start for the 503 path) and once on the embedded default, PGlite.
import assert from "node:assert/strict";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { createIngestHandler } from "../../supabase/functions/_shared/ingest.ts";
import { createPromptsHandler } from "../../supabase/functions/_shared/prompts.ts";
import { onPglite, onPostgres } from "./lib/databases.ts";
import exampleAJson from "../fixtures/example-a.json" with { type: "json" };
import exampleBJson from "../fixtures/example-b.json" with { type: "json" };
import { requirePermissionSet, requirePostgres } from "./_requires.ts";

// PostgreSQL 15 runs when scripts/test-e2e.sh has started it; PGlite needs what `deno test -P`
// grants: reading the repository (PGlite reads its own wasm and data files, and the
// migrations) and loopback.
const ignored = {
  "PostgreSQL 15": requirePostgres("the Edge Functions end to end on PostgreSQL 15"),
  PGlite: requirePermissionSet(
    "the Edge Functions end to end on PGlite",
    "to read the repository (PGlite reads its own files) and serve HTTP on 127.0.0.1",
    { name: "read", path: new URL("../../", import.meta.url) },
    { name: "net", host: "127.0.0.1" },
  ),
};
const A = "aaaaaaaa-0000-4000-8000-000000000000";
const B = "bbbbbbbb-0000-4000-8000-000000000000";
const KEY_A = "ns_e2e_key_for_project_a";
const KEY_B = "ns_e2e_key_for_project_b";
// Imported (no permission needed), and cloned: the imported objects are shared by every importer.
const exampleA: Record<string, any> = structuredClone(exampleAJson);
const exampleB: Record<string, any> = structuredClone(exampleBJson);

for (
  const [label, open] of [
    ["PostgreSQL 15", () => onPostgres(Deno.env.get("SUPABASE_DB_URL")!)],
    ["PGlite", onPglite],
  ] as const
) {
  Deno.test({
    name: `the Edge Functions end to end on ${label}`,
    ignore: ignored[label],
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const db = await open();
      const { sql, store } = db;
      await sql`SELECT public.create_or_rotate_project_api_key(${A}, 'A', gen_random_uuid(), ${hash_api_key(KEY_A)})`;
      await sql`SELECT public.create_or_rotate_project_api_key(${B}, 'B', gen_random_uuid(), ${hash_api_key(KEY_B)})`;

      const ingest = createIngestHandler(store, {
        log: () => {},
        maxBodyBytes: 200_000,
        maxDecompressedBytes: 400_000,
      });
      const prompts = createPromptsHandler(store, { log: () => {} });
      const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
        const path = new URL(req.url).pathname;
        if (path.startsWith("/functions/v1/ingest-traces")) return ingest(req);
        if (path.startsWith("/functions/v1/prompts")) return prompts(req);
        return new Response("not found", { status: 404 });
      });
      const base = `http://127.0.0.1:${server.addr.port}/functions/v1`;

      async function send(body: unknown, key = KEY_A, headers: Record<string, string> = {}) {
        const res = await fetch(`${base}/ingest-traces`, {
          method: "POST",
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
          body: typeof body === "string" || body instanceof Uint8Array ? body as BodyInit : JSON.stringify(body),
        });
        return { status: res.status, headers: res.headers, body: await res.json() };
      }

      async function snapshot(): Promise<string> {
        const rows = await sql`SELECT
    (SELECT json_agg(s ORDER BY id) FROM private.sessions s) AS s, (SELECT json_agg(r ORDER BY id) FROM private.runs r) AS r,
    (SELECT json_agg(x ORDER BY id) FROM private.spans x) AS x, (SELECT json_agg(e ORDER BY id) FROM private.events e) AS e,
    (SELECT json_agg(c ORDER BY id) FROM private.scores c) AS c`;
        return JSON.stringify(rows[0]);
      }

      function run(cmd: string) {
        return new Deno.Command("bash", { args: ["-c", cmd], stdout: "null", stderr: "null" }).output();
      }

      await t.step("example A is stored exactly, child spans before parents, and re-sends add nothing", async () => {
        const batch = structuredClone(exampleA);
        batch.spans.reverse();
        const res = await send(batch);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.deepEqual(res.body.counts, { sessions: 1, runs: 1, spans: 3, events: 3, prompt_links: 0, scores: 0 });
        const [session] = await sql`SELECT * FROM private.sessions`;
        assert.equal(session.project_id, A);
        assert.equal(session.created_at.toISOString(), "2025-03-01T12:00:00.120Z");
        assert.deepEqual(session.metadata, { source: "cli" });
        const [run] = await sql`SELECT * FROM private.runs`;
        assert.deepEqual(
          [run.name, run.status, run.session_id, run.metadata.cost_usd, run.error],
          ["research-agent", "ok", exampleA.sessions[0].id, 0.00125, null],
        );
        const spans =
          await sql`SELECT id, parent_span_id, kind, status, iteration, error, attributes FROM private.spans ORDER BY id`;
        assert.deepEqual(spans.map((s) => [s.kind, s.parent_span_id, s.iteration]), [
          ["agent", null, 1],
          ["model", "a1000000-0000-4000-8000-000000000001", null],
          ["tool", "a1000000-0000-4000-8000-000000000001", null],
        ]);
        assert.deepEqual(spans[2].error, { type: "TimeoutError", message: "upstream timed out", module: "builtins" });
        assert.equal(spans[1].attributes.model, "gpt-4o");
        const events = await sql`SELECT content, span_id FROM private.events ORDER BY created_at`;
        assert.deepEqual(events.map((e) => e.content), [
          "Find the current API documentation.",
          { query: "api docs" },
          "Documentation found.",
        ]);
        // Every column of every row, against the example as sent.
        const iso = (v: unknown) => v === null || v === undefined ? null : new Date(v as string).toISOString();
        const rows = async (table: string) =>
          (await sql`SELECT to_jsonb(t) AS r FROM (SELECT * FROM private.sessions) t WHERE ${table} = 'sessions'
            UNION ALL SELECT to_jsonb(t) FROM (SELECT * FROM private.runs) t WHERE ${table} = 'runs'
            UNION ALL SELECT to_jsonb(t) FROM (SELECT * FROM private.spans) t WHERE ${table} = 'spans'
            UNION ALL SELECT to_jsonb(t) FROM (SELECT * FROM private.events) t WHERE ${table} = 'events'`)
            .map((x) => x.r as Record<string, unknown>)
            .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, /_at$/.test(k) ? iso(v) : v])))
            .sort((a, b) => String(a.id).localeCompare(String(b.id)));
        const expect = (records: Record<string, unknown>[], columns: Record<string, unknown>) =>
          records.map((r) =>
            Object.fromEntries(
              Object.entries(columns).map(([k, fallback]) => [
                k,
                k === "project_id" ? A : /_at$/.test(k) ? iso(r[k]) : r[k] ?? fallback,
              ]),
            )
          ).sort((a, b) => String(a.id).localeCompare(String(b.id)));
        assert.deepEqual(
          await rows("sessions"),
          expect(exampleA.sessions, { id: 0, project_id: 0, created_at: 0, ended_at: null, metadata: {} }),
        );
        assert.deepEqual(
          await rows("runs"),
          expect(exampleA.runs, {
            id: 0,
            session_id: 0,
            project_id: 0,
            name: 0,
            started_at: 0,
            ended_at: null,
            status: 0,
            error: null,
            metadata: {},
            // 035's OTLP columns: NULL for SDK runs.
            otlp_has_root: null,
            otlp_session_rank: null,
          }),
        );
        assert.deepEqual(
          await rows("spans"),
          expect(exampleA.spans, {
            id: 0,
            run_id: 0,
            project_id: 0,
            parent_span_id: null,
            kind: 0,
            name: 0,
            started_at: 0,
            ended_at: null,
            status: 0,
            error: null,
            iteration: null,
            attributes: {},
            pending_parent_span_id: null,
          }),
        );
        assert.deepEqual(
          await rows("events"),
          expect(exampleA.events, {
            id: 0,
            run_id: 0,
            span_id: null,
            project_id: 0,
            type: 0,
            created_at: 0,
            content: null,
            attributes: {},
          }),
        );
        const before = await snapshot();
        assert.equal((await send(exampleA)).status, 200);
        assert.equal((await send(exampleA)).status, 200);
        assert.equal(await snapshot(), before, "the same batch again changes nothing");
      });

      await t.step("a later batch moves a run from running to ok", async () => {
        const run = { ...exampleA.runs[0], id: "6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", status: "running" };
        delete run.ended_at;
        assert.equal((await send({ schema_version: 2, runs: [run] })).status, 200);
        const later = { ...run, status: "ok", ended_at: "2025-03-01T12:01:00Z" };
        assert.equal((await send({ schema_version: 2, runs: [later] })).status, 200);
        const [row] = await sql`SELECT status, ended_at FROM private.runs WHERE id = ${run.id}`;
        assert.deepEqual([row.status, row.ended_at.toISOString()], ["ok", "2025-03-01T12:01:00.000Z"]);
      });

      await t.step("scores and prompt links (example B) land with the batch", async () => {
        await sql`INSERT INTO private.prompts (id, project_id, name, slug) VALUES
        ('7b897f13-dad3-41d8-945b-94358423ab00', ${A}, 'Summarizer', 'summarizer')`;
        await sql`INSERT INTO private.prompt_versions (id, prompt_id, project_id, version_number, content, content_hash)
        VALUES ('c0ffee00-1111-4222-8333-444455556666', '7b897f13-dad3-41d8-945b-94358423ab00', ${A}, 3,
          'Summarize {{ doc }} in {max_words} words.', private.prompt_content_hash('Summarize {{ doc }} in {max_words} words.'))`;
        const res = await send(exampleB);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const scores = await sql`SELECT name, value, data_type::text, string_value FROM private.scores ORDER BY name`;
        assert.deepEqual(scores.map((s) => [s.name, s.value, s.data_type, s.string_value]), [
          ["correct", 1, "boolean", null],
          ["quality", 0, "categorical", "excellent"],
          ["relevance", 0.92, "numeric", null],
        ]);
        const [link] = await sql`SELECT variable_values FROM private.prompt_trace_links`;
        assert.deepEqual(link.variable_values, { doc: "…", max_words: 120 });
      });

      await t.step("4xx: bad bodies and bad references are refused with nothing written", async () => {
        const before = await snapshot();
        let res = await send("{");
        assert.deepEqual([res.status, res.body.error], [400, "Invalid JSON body"]);
        res = await send({ schema_version: 3 });
        assert.deepEqual([res.status, res.body.error], [400, "Unsupported schema_version (expected 1 or 2)"]);
        const badRef = structuredClone(exampleA);
        badRef.events[0].run_id = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
        badRef.sessions[0].id = "0c6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11";
        badRef.runs[0].session_id = badRef.sessions[0].id;
        badRef.runs[0].id = "8d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
        res = await send(badRef);
        assert.deepEqual([res.status, res.body.error], [400, "Payload contains invalid project references"]);
        assert.match(res.body.errors[0].message, /not found for project/);
        const intoB = await send(exampleA, KEY_B);
        assert.deepEqual([intoB.status, intoB.body.error], [400, "Payload contains invalid project references"]);
        assert.equal(await snapshot(), before, "A's rows are unchanged, nothing half-written");
      });

      await t.step("every 4xx of the contract, with its body, over HTTP", async () => {
        const cases: [unknown, string | undefined, number, string][] = [
          [exampleA, "ns_wrong", 401, "Invalid or revoked API key"],
          ["[1]", KEY_A, 400, "JSON body must be an object"],
          ["", KEY_A, 400, "Invalid JSON body"],
          [{ schema_version: "2" }, KEY_A, 400, "Unsupported schema_version (expected 1 or 2)"],
          [{ schema_version: 2, runs: {} }, KEY_A, 400, "runs must be an array"],
          [{ schema_version: 2, events: [7] }, KEY_A, 400, "events[0] is not an object"],
          [
            { schema_version: 2, spans: [{ ...exampleA.spans[0], kind: "llm" }] },
            KEY_A,
            400,
            "spans[0].kind must be one of: agent, workflow, model, tool, custom",
          ],
          // 501 scores are no longer refused by count (issue 11: repairs_e2e_test.ts), only their rules.
          [{ schema_version: 2, scores: Array(501).fill({}) }, KEY_A, 400, "scores[0].id is not a valid UUID"],
        ];
        for (const [body, key, status, error] of cases) {
          const res = await send(body, key);
          assert.deepEqual([res.status, res.body.error], [status, error], JSON.stringify(body).slice(0, 80));
          if (status === 400) assert.ok(Array.isArray(res.body.errors) && res.body.errors.length > 0);
        }
        const noAuth = await fetch(`${base}/ingest-traces`, { method: "POST", body: "{}" });
        assert.deepEqual([noAuth.status, (await noAuth.json()).error], [
          401,
          "Missing or invalid authorization header",
        ]);
        const get = await fetch(`${base}/ingest-traces`);
        assert.deepEqual([get.status, (await get.json()).error], [405, "Method not allowed"]);
        const options = await fetch(`${base}/ingest-traces`, { method: "OPTIONS" });
        assert.deepEqual([options.status, options.headers.get("access-control-allow-origin")], [204, "*"]);
        await options.body?.cancel();
      });

      await t.step("auth: wrong and rotated keys get 401", async () => {
        assert.equal((await send(exampleA, "ns_wrong")).status, 401);
        await sql`SELECT public.create_or_rotate_project_api_key(${A}, 'A', gen_random_uuid(), ${
          hash_api_key("ns_new_key")
        })`;
        const old = await send(exampleA, KEY_A);
        assert.deepEqual([old.status, old.body.error], [401, "Invalid or revoked API key"]);
        assert.equal((await send(exampleA, "ns_new_key")).status, 200);
      });

      await t.step("oversized and gzip-bombed bodies get 413", async () => {
        const big = await send("x".repeat(300_000), "ns_new_key");
        assert.equal(big.status, 413);
        const bomb = new Uint8Array(
          await new Response(
            new Blob([new Uint8Array(5_000_000).fill(32)]).stream().pipeThrough(new CompressionStream("gzip")),
          )
            .arrayBuffer(),
        );
        const res = await send(bomb, "ns_new_key", { "content-encoding": "gzip" });
        assert.equal(res.status, 413);
      });

      await t.step("prompts/resolve by label and by version; 404s", async () => {
        const ask = async (body: unknown, path = "/prompts/resolve") => {
          const res = await fetch(`${base}${path}`, {
            method: "POST",
            headers: { authorization: "Bearer ns_new_key" },
            body: JSON.stringify(body),
          });
          return { status: res.status, body: await res.json() };
        };
        let res = await ask({ name: "summarizer", slug: "summarizer", label: "prod", version: 3 });
        assert.equal(res.status, 200);
        assert.equal(res.body.prompt_version.version_number, 3);
        assert.equal(res.body.prompt_version.content_hash.startsWith("sha256:"), true);
        res = await ask({ slug: "summarizer", label: "prod", version: null });
        assert.deepEqual([res.status, res.body.error], [404, "Prompt not found"], "no prod label yet");
        await sql`UPDATE private.prompts SET labels = '{"prod":"c0ffee00-1111-4222-8333-444455556666"}'`;
        res = await ask({ slug: "summarizer", version: null });
        assert.equal(res.body.prompt_version.id, "c0ffee00-1111-4222-8333-444455556666");
        assert.equal((await ask({ slug: "summarizer" }, "/prompts/other")).status, 404);
      });

      await t.step({
        name: "the database stopped → 503 with Retry-After; after restart the retried batch lands once",
        ignore: !db.stop,
        fn: async () => {
          const batch = structuredClone(exampleA);
          batch.runs[0].id = "9d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";
          batch.runs[0].session_id = exampleA.sessions[0].id;
          batch.sessions = [];
          batch.spans = [];
          batch.events = [];
          await run(db.stop!);
          try {
            const res = await send(batch, "ns_new_key");
            assert.equal(res.status, 503);
            assert.equal(res.headers.get("retry-after"), "5");
          } finally {
            await run(db.start!);
          }
          let res = await send(batch, "ns_new_key");
          for (let i = 0; i < 5 && res.status === 503; i++) {
            await new Promise((r) => setTimeout(r, 500));
            res = await send(batch, "ns_new_key");
          }
          assert.equal(res.status, 200, JSON.stringify(res.body));
          const rows = await sql`SELECT count(*)::int AS n FROM private.runs WHERE id = ${batch.runs[0].id}`;
          assert.equal(rows[0].n, 1);
        },
      });

      await server.shutdown();
      await db.close();
    },
  });
}
