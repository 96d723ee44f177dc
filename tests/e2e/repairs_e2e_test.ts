// Whatever the real SDK sends is stored (issue 11), end to end over real HTTP: NUL, unpaired
// surrogates, a string over the field limit, 501 scores and a body between the old 10 MiB
// and the new 16 MiB limit each get a 200 with the warnings and their paths, the repaired
// values and the warning rows are in the database, and a normal batch sent next is stored
// too. With the strict setting the same batches get the old 400/413 answers. Once on
// PostgreSQL 15 (the cluster of scripts/test-e2e.sh) and once on PGlite.
import assert from "node:assert/strict";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { createIngestHandler } from "../../supabase/functions/_shared/ingest.ts";
import { onPglite, onPostgres } from "./lib/databases.ts";
import exampleAJson from "../fixtures/example-a.json" with { type: "json" };
import { readVariable, requirePermissionSet, requirePostgres } from "./_requires.ts";

const url = readVariable("SUPABASE_DB_URL");
// Each suite skips itself, with one line, when what it needs is missing (tests/e2e/_requires.ts).
const ignored = {
  "PostgreSQL 15": requirePostgres("repairs end to end on PostgreSQL 15"),
  PGlite: requirePermissionSet(
    "repairs end to end on PGlite",
    "to read the repository (PGlite reads its own files; the migrations)",
    { name: "read", path: new URL("../../", import.meta.url) },
  ),
};
const PROJECT = "cccccccc-0000-4000-8000-000000000011";
const KEY = "ns_e2e_key_for_repairs";
// Imported, not read: a JSON module needs no permission.
const exampleText = JSON.stringify(exampleAJson);
const MIB = 1024 * 1024;

/** Example A with every id replaced by a fresh one (consistently), as a new trace would be. */
function freshExample(): any {
  const ids = new Map<string, string>();
  const text = exampleText.replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
    (id) => ids.get(id) ?? ids.set(id, crypto.randomUUID()).get(id)!,
  );
  return JSON.parse(text);
}

/** A fresh example as JSON text with `from` replaced by `to` (raw JSON text, escapes kept). */
function freshText(from: string, to: string): string {
  const text = JSON.stringify(freshExample());
  assert.ok(text.includes(from), from);
  return text.replace(from, to);
}

/** About `size` bytes of SDK-shaped batch: events with 200 KB tool outputs. */
function bigBatch(size: number) {
  const sent = freshExample();
  const output = "tool output ".repeat(200_000 / 12);
  const count = Math.ceil(size / output.length);
  sent.events = Array.from({ length: count }, () => ({
    id: crypto.randomUUID(),
    run_id: sent.runs[0].id,
    type: "tool_result",
    created_at: "2025-03-01T12:00:01.000000Z",
    content: output,
    attributes: {},
  }));
  return sent;
}

for (const [label, open] of [["PostgreSQL 15", () => onPostgres(url!)], ["PGlite", onPglite]] as const) {
  Deno.test({
    name: `repairs instead of refusals end to end on ${label}`,
    ignore: ignored[label],
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      const db = await open();
      const { sql, store } = db;
      await sql`SELECT public.create_or_rotate_project_api_key(${PROJECT}, 'repairs', gen_random_uuid(), ${
        hash_api_key(KEY)
      })`;
      const lines: Record<string, unknown>[] = [];
      const normal = createIngestHandler(store, { log: (l) => lines.push(structuredClone(l)) });
      const strict = createIngestHandler(store, { log: () => {}, strict: true });
      const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
        return new URL(req.url).pathname.startsWith("/strict/") ? strict(req) : normal(req);
      });
      const base = `http://127.0.0.1:${server.addr.port}`;

      async function send(body: unknown, path = "/functions/v1/ingest-traces") {
        const res = await fetch(`${base}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
          body: typeof body === "string" ? body : JSON.stringify(body),
        });
        return { status: res.status, body: await res.json() };
      }
      const sendStrict = (body: unknown) => send(body, "/strict/functions/v1/ingest-traces");

      async function warningRows(recordId: string) {
        return await sql`SELECT record_kind, path, code, message FROM private.ingest_warnings
          WHERE project_id = ${PROJECT} AND record_id = ${recordId} ORDER BY id`;
      }

      /** A normal batch sent next is stored: the queue is not jammed. */
      async function nextBatchIsStored() {
        const next = freshExample();
        const res = await send(next);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        assert.equal(res.body.warnings, undefined, "no warnings key when nothing was repaired");
        const [row] = await sql`SELECT name FROM private.runs WHERE id = ${next.runs[0].id}`;
        assert.equal(row.name, "research-agent");
      }

      try {
        await t.step("NUL in a name, in content and in a key: 200, U+FFFD stored, warnings everywhere", async () => {
          const text = freshText('"research-agent"', '"research\\u0000agent"')
            .replace('"Find the current API documentation."', '{"q":"a\\u0000b","k\\u0000":1}');
          const sent = JSON.parse(text);
          lines.length = 0;
          const res = await send(text);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.equal(res.body.accepted, true);
          assert.deepEqual(res.body.warnings.map((w: any) => [w.path, w.code]), [
            ["runs[0].name", "nul_character"],
            ["events[0].content.q", "nul_character"],
          ]);
          assert.equal(res.body.warnings_total, 2);
          assert.equal(res.body.warnings_truncated, false);
          assert.equal(lines.at(-1)?.warnings, 2, "counted in the log line");
          const [run] = await sql`SELECT name FROM private.runs WHERE id = ${sent.runs[0].id}`;
          assert.equal(run.name, "research\uFFFDagent");
          const [event] = await sql`SELECT content FROM private.events WHERE id = ${sent.events[0].id}`;
          assert.deepEqual(event.content, { q: "a\uFFFDb", "k\uFFFD": 1 });
          const rows = await warningRows(sent.runs[0].id);
          assert.deepEqual(rows.map((r) => [r.record_kind, r.path, r.code]), [[
            "run",
            "runs[0].name",
            "nul_character",
          ]]);
          assert.match(rows[0].message, /replaced with U\+FFFD/);
          assert.equal((await warningRows(sent.events[0].id))[0].path, "events[0].content.q");
          const listed =
            await sql`SELECT path, total_count FROM public.dashboard_list_ingest_warnings(${PROJECT}::uuid)`;
          assert.ok(listed.some((r) => r.path === "events[0].content.q"));
          await nextBatchIsStored();
        });

        await t.step("unpaired surrogates in a value and a key: 200, replaced, pairs kept", async () => {
          const text = freshText('"research-agent"', '"a\\ud800b\\ud83d\\ude00"')
            .replace('"source":"cli"', '"source":"cli","\\udc00x":"y\\udfff"');
          const sent = JSON.parse(text.replaceAll("\\ud800", "").replaceAll("\\udc00", "").replaceAll("\\udfff", ""));
          const res = await send(text);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.deepEqual(res.body.warnings.map((w: any) => [w.path, w.code]), [
            ['sessions[0].metadata["\uFFFDx"]', "lone_surrogate"],
            ["runs[0].name", "lone_surrogate"],
          ]);
          const [run] = await sql`SELECT name FROM private.runs WHERE id = ${sent.runs[0].id}`;
          assert.equal(run.name, "a\uFFFDb😀");
          const [session] = await sql`SELECT metadata FROM private.sessions WHERE id = ${sent.sessions[0].id}`;
          assert.deepEqual(session.metadata, { source: "cli", "\uFFFDx": "y\uFFFD" });
          assert.equal((await warningRows(sent.sessions[0].id))[0].code, "lone_surrogate");
          await nextBatchIsStored();
        });

        await t.step("a string over the 1 MiB field limit: 200, cut at a character and marked", async () => {
          const sent = freshExample();
          const long = "é".repeat(800_000); // 1.6 MB of UTF-8
          sent.spans[2].attributes.input = long;
          const res = await send(sent);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.deepEqual(res.body.warnings.map((w: any) => [w.path, w.code]), [
            ["spans[2].attributes.input", "field_truncated"],
          ]);
          const [span] = await sql`SELECT attributes FROM private.spans WHERE id = ${sent.spans[2].id}`;
          const stored: string = span.attributes.input;
          const bytes = new TextEncoder().encode(stored).length;
          assert.ok(bytes <= MIB, `${bytes} bytes`);
          const match = /…\[truncated (\d+) bytes\]$/.exec(stored);
          assert.ok(match, stored.slice(-40));
          assert.equal(bytes - new TextEncoder().encode(match[0]).length + Number(match[1]), 1_600_000);
          assert.ok(long.startsWith(stored.slice(0, -match[0].length)), "the kept part is the original's start");
          assert.equal(span.attributes.tool_type, "http");
          assert.equal((await warningRows(sent.spans[2].id))[0].path, "spans[2].attributes.input");
          await nextBatchIsStored();
        });

        const sent501 = freshExample();
        const scores = Array.from({ length: 501 }, (_, i) => ({
          id: crypto.randomUUID(),
          trace_id: sent501.runs[0].id,
          name: "relevance",
          value: i / 501,
          data_type: "numeric",
          source: "api",
          created_at: "2025-03-01T12:05:00.000100Z",
        }));

        await t.step("501 scores in one batch: 200, all stored", async () => {
          const res = await send({ ...sent501, scores });
          assert.equal(res.status, 200, JSON.stringify(res.body));
          assert.equal(res.body.counts.scores, 501);
          const [n] = await sql`SELECT count(*)::int AS n FROM private.scores WHERE trace_id = ${sent501.runs[0].id}`;
          assert.equal(n.n, 501);
          await nextBatchIsStored();
        });

        const sentMany = freshExample();
        const manyScores = Array.from({ length: 10_001 }, (_, i) => ({
          id: crypto.randomUUID(),
          trace_id: sentMany.runs[0].id,
          name: "step_reward",
          value: i / 10_001,
          data_type: "numeric",
          source: "api",
          created_at: "2025-03-01T12:05:00.000100Z",
        }));

        await t.step("over 10,000 records in one batch (10,001 scores beside a trace): 200, all stored", async () => {
          const res = await send({ ...sentMany, scores: manyScores });
          assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
          assert.equal(res.body.counts.scores, 10_001);
          const [n] = await sql`SELECT count(*)::int AS n FROM private.scores WHERE trace_id = ${sentMany.runs[0].id}`;
          assert.equal(n.n, 10_001);
          await nextBatchIsStored();
        });

        await t.step("a 12 MiB body (between the old 10 MiB and the new 16 MiB limit): 200, stored", async () => {
          const sent = bigBatch(12 * MIB);
          const text = JSON.stringify(sent);
          assert.ok(text.length > 10 * MIB && text.length < 16 * MIB, `${text.length}`);
          const res = await send(text);
          assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
          const [n] = await sql`SELECT count(*)::int AS n FROM private.events WHERE run_id = ${sent.runs[0].id}`;
          assert.equal(n.n, sent.events.length);
          await nextBatchIsStored();
        });

        await t.step("a body over the new limit is still a 413", async () => {
          const res = await send(JSON.stringify(bigBatch(17 * MIB)));
          assert.equal(res.status, 413);
          assert.match(res.body.error, /16777216 bytes/);
        });

        await t.step("a contract violation beside a repair: 400 with every violation, no row, no warning", async () => {
          const text = freshText('"research-agent"', '"research\\u0000agent"').replace(
            '"kind":"tool"',
            '"kind":"gadget"',
          );
          const sent = JSON.parse(text.replace("\\u0000", ""));
          const res = await send(text);
          assert.equal(res.status, 400);
          assert.deepEqual(res.body.errors.map((e: any) => e.code), ["invalid_enum"]);
          assert.equal((await sql`SELECT 1 FROM private.runs WHERE id = ${sent.runs[0].id}`).length, 0);
          assert.equal((await warningRows(sent.runs[0].id)).length, 0);
          await nextBatchIsStored();
        });

        await t.step("strict: the same batches get the answers of before repairs", async () => {
          const nul = await sendStrict(freshText('"research-agent"', '"research\\u0000agent"'));
          assert.equal(nul.status, 400);
          assert.equal(nul.body.errors[0].code, "nul_character");
          assert.equal(nul.body.errors[0].path, "runs[0].name");
          const lone = await sendStrict(freshText('"research-agent"', '"a\\ud800b"'));
          assert.equal(lone.status, 400);
          assert.equal(lone.body.errors[0].code, "lone_surrogate");
          const many = await sendStrict({
            ...freshExample(),
            scores: scores.map((s) => ({ ...s, id: crypto.randomUUID() })),
          });
          assert.equal(many.status, 400);
          assert.equal(many.body.error, "scores must contain at most 500 items");
          const tooMany = await sendStrict({
            ...freshExample(),
            scores: manyScores.map((s) => ({ ...s, id: crypto.randomUUID() })),
          });
          assert.equal(tooMany.status, 413);
          assert.equal(tooMany.body.errors[0].code, "too_many_records");
          const big = await sendStrict(JSON.stringify(bigBatch(12 * MIB)));
          assert.equal(big.status, 413);
          assert.match(big.body.error, /10485760 bytes/);
          // A long string was stored whole before repairs existed, and still is in strict mode.
          const long = freshExample();
          long.spans[2].attributes.input = "x".repeat(MIB + 10);
          const kept = await sendStrict(long);
          assert.equal(kept.status, 200, JSON.stringify(kept.body));
          assert.equal(kept.body.warnings, undefined);
          const [span] = await sql`SELECT length(attributes ->> 'input') AS n FROM private.spans WHERE id = ${
            long.spans[2].id
          }`;
          assert.equal(Number(span.n), MIB + 10);
        });
      } finally {
        await server.shutdown();
        await db.close();
      }
    },
  });
}
