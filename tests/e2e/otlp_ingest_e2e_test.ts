// OTLP/HTTP traces in, end to end over real HTTP on PostgreSQL 15 (issue 12): GenAI agent
// traces (agent → chat → tool, messages, token usage, an error) exported children first
// across several requests, root last, in protobuf and in JSON, end in exactly the stored
// state of one in-order request (sessions, runs, spans, events, scores column by column);
// the dashboard read models show them; the answers are OTLP ExportTraceServiceResponses in
// the request's encoding; and a seeded property test splits random traces over random
// requests in random orders, with duplicates.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { encodeExport, GenAiExportGenerator, type OtlpExport, type OtlpSpan } from "../../bench/otlp_export.ts";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { createIngestHandler } from "../../supabase/functions/_shared/ingest.ts";
import { createPgStore } from "../../supabase/functions/_shared/pg_store.ts";
import { createPgliteStore } from "../../supabase/functions/_shared/pglite_store.ts";
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import { migrate, pgliteMigrationDb } from "../../scripts/lib/migrate.ts";
import { readVariable, requirePermissionSet, requirePostgres } from "./_requires.ts";

const SUITE = "OTLP ingest end to end on PostgreSQL 15";
const url = readVariable("SUPABASE_DB_URL");
const PROJECT = "cccccccc-0000-4000-8000-000000000012";
const OTHER = "cccccccc-0000-4000-8000-000000000013";
const KEY = "ns_e2e_key_for_otlp_ingest";
const OTHER_KEY = "ns_e2e_key_for_otlp_other";
const PATH = "/functions/v1/ingest-traces/v1/traces";

type Encoding = "protobuf" | "json";

/** An export holding `spans`, with the generator's resource and scope. */
function exportOf(template: OtlpExport, spans: OtlpSpan[]): OtlpExport {
  const rs = template.resourceSpans[0];
  return { resourceSpans: [{ resource: rs.resource, scopeSpans: [{ scope: rs.scopeSpans[0].scope, spans }] }] };
}

/** GenAI traces from the shared generator, one tool span per trace failed with an error. */
function genAiTraces(seed: number, spans: number): OtlpExport {
  const e = new GenAiExportGenerator(seed).export(spans);
  for (const s of e.resourceSpans[0].scopeSpans[0].spans) {
    if (s.name.startsWith("execute_tool") && Number.parseInt(s.spanId.slice(0, 2), 16) % 2 === 0) {
      s.status = { code: 2, message: "tool failed: timeout" };
      s.events = [...(s.events ?? []), {
        timeUnixNano: s.endTimeUnixNano,
        name: "exception",
        attributes: [{ key: "exception.type", value: { stringValue: "TimeoutError" } }, {
          key: "exception.message",
          value: { stringValue: "timeout" },
        }],
      }];
    }
  }
  return e;
}

/** A small seeded PRNG (mulberry32) for the property test. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads a protobuf varint at `at`; returns [value, next offset]. */
function readVarint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if (b < 0x80) return [value, at];
  }
}

/** Decodes an ExportTraceServiceResponse by its field numbers (independent of the encoder). */
function decodeResponse(bytes: Uint8Array): { rejectedSpans: number; errorMessage: string } | null {
  if (bytes.length === 0) return null;
  assert.equal(bytes[0], 0x0a, "field 1, length-delimited: partial_success");
  const [len, start] = readVarint(bytes, 1);
  assert.equal(start + len, bytes.length);
  const out = { rejectedSpans: 0, errorMessage: "" };
  let at = start;
  while (at < bytes.length) {
    const [key, next] = readVarint(bytes, at);
    at = next;
    if (key === 0x08) [out.rejectedSpans, at] = readVarint(bytes, at);
    else if (key === 0x12) {
      const [n, s] = readVarint(bytes, at);
      out.errorMessage = new TextDecoder().decode(bytes.slice(s, s + n));
      at = s + n;
    } else throw new Error(`unexpected key ${key}`);
  }
  return out;
}

Deno.test({
  name: SUITE,
  ignore: requirePostgres(SUITE),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sql = postgres(url!, { onnotice: () => {}, max: 2 });
    const store = createPgStore(url!, { connectTimeoutSeconds: 2 });
    const lines: Record<string, unknown>[] = [];
    const handler = createIngestHandler(store, { log: (l) => lines.push(structuredClone(l)) });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, handler);
    const base = `http://127.0.0.1:${server.addr.port}`;
    try {
      for (const [project, key] of [[PROJECT, KEY], [OTHER, OTHER_KEY]]) {
        await sql`SELECT public.create_or_rotate_project_api_key(${project}, 'otlp', gen_random_uuid(), ${
          hash_api_key(key)
        })`;
      }

      const send = async (e: OtlpExport, encoding: Encoding, headers: Record<string, string> = {}) => {
        const res = await fetch(`${base}${PATH}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${KEY}`,
            "content-type": encoding === "protobuf" ? "application/x-protobuf" : "application/json",
            ...headers,
          },
          body: encoding === "protobuf" ? encodeExport(e) as Uint8Array<ArrayBuffer> : JSON.stringify(e),
        });
        return {
          status: res.status,
          type: res.headers.get("content-type"),
          bytes: new Uint8Array(await res.arrayBuffer()),
        };
      };

      /** Everything stored for the project, row by row, every column (ids included). */
      const snapshot = async (): Promise<Record<string, unknown>> => {
        const [row] = await sql`SELECT
          (SELECT COALESCE(jsonb_agg(to_jsonb(s) - 'project_id' ORDER BY s.id), '[]') FROM private.sessions s
            WHERE s.project_id = ${PROJECT}) AS sessions,
          (SELECT COALESCE(jsonb_agg(to_jsonb(r) - 'project_id' ORDER BY r.id), '[]') FROM private.runs r
            WHERE r.project_id = ${PROJECT}) AS runs,
          (SELECT COALESCE(jsonb_agg(to_jsonb(s) - 'project_id' ORDER BY s.id), '[]') FROM private.spans s
            WHERE s.project_id = ${PROJECT}) AS spans,
          (SELECT COALESCE(jsonb_agg(to_jsonb(e) - 'project_id' ORDER BY e.id), '[]') FROM private.events e
            WHERE e.project_id = ${PROJECT}) AS events,
          (SELECT COALESCE(jsonb_agg(to_jsonb(c) - 'project_id' - 'created_at' - 'updated_at' ORDER BY c.id), '[]')
            FROM private.scores c WHERE c.project_id = ${PROJECT}) AS scores`;
        return row;
      };

      const clear = async () => {
        await sql`DELETE FROM private.sessions WHERE project_id = ${PROJECT}`;
        const [n] = await sql`SELECT (SELECT count(*) FROM private.runs WHERE project_id = ${PROJECT})
          + (SELECT count(*) FROM private.spans WHERE project_id = ${PROJECT})
          + (SELECT count(*) FROM private.events WHERE project_id = ${PROJECT}) AS n`;
        assert.equal(Number(n.n), 0, "clearing the project left rows");
      };

      const traces = genAiTraces(7, 12);
      const spans = traces.resourceSpans[0].scopeSpans[0].spans;
      // Parents first: the in-order reference (the generator writes children first).
      const byDepth = [...spans].sort((a, b) => (a.parentSpanId === "" ? 0 : 1) - (b.parentSpanId === "" ? 0 : 1));

      let reference: Record<string, unknown> = {};
      await t.step("one in-order request (protobuf) is stored; the answer is an empty message", async () => {
        const res = await send(exportOf(traces, byDepth), "protobuf");
        assert.equal(res.status, 200);
        assert.equal(res.type, "application/x-protobuf");
        assert.equal(decodeResponse(res.bytes), null);
        reference = await snapshot();
        const runs = reference.runs as Record<string, any>[];
        assert.equal(runs.length, 4);
        assert.ok(runs.every((r) => r.otlp_has_root === true && r.status !== "running"), JSON.stringify(runs));
        assert.ok((reference.events as unknown[]).length > 0, "messages became events");
        assert.ok((reference.spans as Record<string, any>[]).some((s) => s.status === "error"), "the error is stored");
        assert.ok((reference.spans as Record<string, any>[]).every((s) => s.pending_parent_span_id === null));
        const line = lines.at(-1)!;
        assert.equal(line.otlp, "protobuf");
        assert.equal(line.spans_received, 12);
        assert.equal(line.rejected_spans, 0);
      });

      await t.step("the dashboard read models show the traces, their spans and costs", async () => {
        const runs = reference.runs as Record<string, any>[];
        const listed = await sql`SELECT * FROM public.dashboard_list_traces(${PROJECT}, ${runs[0].session_id})`;
        assert.ok(listed.some((r) => r.id === runs[0].id), "the trace is listed");
        assert.ok(listed.some((r) => Number(r.input_tokens) > 0), "with token figures");
        const spansOf = await sql`SELECT * FROM public.dashboard_list_trace_spans(${PROJECT}, ${runs[0].id})`;
        assert.equal(spansOf.length, 3);
        assert.equal(spansOf.filter((s) => s.parent_span_id === null).length, 1, "one root");
        const [cost] = await sql`SELECT * FROM public.dashboard_project_cost_summary(${PROJECT}, '2000-01-01')`;
        assert.equal(Number(cost.run_count), 4);
        assert.ok(Number(cost.input_tokens) > 0);
      });

      for (const encoding of ["protobuf", "json"] as const) {
        await t.step(`children first across requests, root last (${encoding}): the same stored state`, async () => {
          await clear();
          const children = spans.filter((s) => s.parentSpanId !== "");
          const roots = spans.filter((s) => s.parentSpanId === "");
          // The generator writes tool, chat, agent per trace: tools first, then chats, roots last.
          const tools = children.filter((s) => s.name.startsWith("execute_tool"));
          const chats = children.filter((s) => !s.name.startsWith("execute_tool"));
          for (const part of [tools, chats, roots]) {
            const res = await send(exportOf(traces, part), encoding);
            assert.equal(res.status, 200);
            if (encoding === "json") {
              assert.equal(res.type, "application/json");
              assert.deepEqual(JSON.parse(new TextDecoder().decode(res.bytes)), {});
            } else assert.equal(decodeResponse(res.bytes), null);
          }
          assert.deepEqual(await snapshot(), reference);
        });
      }

      await t.step("a partial success: the readable spans are stored, the rest counted", async () => {
        // Hex, but 2 bytes where OTLP wants 8: that span alone is refused.
        const bad = { ...spans[0], spanId: "abcd" };
        const res = await send(exportOf(traces, [bad, ...byDepth]), "protobuf");
        assert.equal(res.status, 200);
        const partial = decodeResponse(res.bytes);
        assert.equal(partial?.rejectedSpans, 1);
        assert.ok(partial!.errorMessage.length > 0);
        const json = await send(exportOf(traces, [bad, ...byDepth]), "json");
        const body = JSON.parse(new TextDecoder().decode(json.bytes));
        assert.equal(json.status, 200, JSON.stringify(body));
        assert.equal(body.partialSuccess.rejectedSpans, "1", "int64 as a decimal string (OTLP/JSON)");
        assert.equal(typeof body.partialSuccess.errorMessage, "string");
        assert.deepEqual(await snapshot(), reference);
      });

      await t.step("a repaired span: stored, its warning filed under the OTLP span's path", async () => {
        for (const encoding of ["protobuf", "json"] as const) {
          await clear();
          await sql`DELETE FROM private.ingest_warnings WHERE project_id = ${PROJECT}`;
          // PostgreSQL cannot store NUL: the core repairs it and says where.
          const repaired = byDepth.map((s, i) => i === 2 ? { ...s, name: `nul\u0000${s.name}` } : s);
          const res = await send(exportOf(traces, repaired), encoding);
          assert.equal(res.status, 200);
          const rows = await sql`SELECT record_kind, path, code FROM private.ingest_warnings
            WHERE project_id = ${PROJECT} ORDER BY id`;
          assert.ok(rows.length >= 1, encoding);
          assert.ok(rows.some((r) => r.record_kind === "span"), JSON.stringify(rows));
          for (const r of rows) {
            assert.equal(r.code, "nul_character");
            assert.ok(r.path.startsWith("resourceSpans[0].scopeSpans[0].spans[2] (as "), `${encoding}: ${r.path}`);
          }
        }
        await clear();
        await sql`DELETE FROM private.ingest_warnings WHERE project_id = ${PROJECT}`;
        assert.equal((await send(exportOf(traces, byDepth), "protobuf")).status, 200);
        assert.deepEqual(await snapshot(), reference);
      });

      await t.step("415, 400, 401 and gzip, as the native path", async () => {
        assert.equal((await send(exportOf(traces, byDepth), "json", { "content-type": "text/plain" })).status, 415);
        const garbage = await fetch(`${base}${PATH}`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/x-protobuf" },
          body: new Uint8Array([0xff, 0xff, 0xff]),
        });
        assert.equal(garbage.status, 400);
        await garbage.body?.cancel();
        assert.equal((await send(exportOf(traces, byDepth), "json", { authorization: "Bearer ns_nope" })).status, 401);
        const gz = await new Response(
          new Blob([encodeExport(exportOf(traces, byDepth)) as Uint8Array<ArrayBuffer>]).stream()
            .pipeThrough(new CompressionStream("gzip")),
        ).arrayBuffer();
        const zipped = await fetch(`${base}${PATH}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${KEY}`,
            "content-type": "application/x-protobuf",
            "content-encoding": "gzip",
          },
          body: gz,
        });
        assert.equal(zipped.status, 200);
        await zipped.body?.cancel();
        // Every other path keeps the native batch behaviour.
        const native = await fetch(`${base}/functions/v1/ingest-traces`, {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
          body: JSON.stringify(exportOf(traces, byDepth)),
        });
        assert.equal(native.status, 400, "an OTLP body on the native path is not a NorthStar batch");
        await native.body?.cancel();
        assert.deepEqual(await snapshot(), reference);
      });

      await t.step("concurrent requests, one span each, children first: the same stored state", async () => {
        for (let round = 0; round < 5; round++) {
          await clear();
          // Every span its own request, all in flight at once (the store has four connections).
          const results = await Promise.all(
            [...spans].reverse().map((s, i) => send(exportOf(traces, [s]), (i + round) % 2 ? "json" : "protobuf")),
          );
          assert.ok(results.every((r) => r.status === 200), JSON.stringify(results.map((r) => r.status)));
          assert.deepEqual(await snapshot(), reference, `round ${round}`);
        }
      });

      await t.step("property: random splits, orders and duplicates end in one in-order request's state", async () => {
        const started = Date.now();
        let cases = 0;
        for (let seed = 1; seed <= 40 && Date.now() - started < 15_000; seed++) {
          const random = prng(seed);
          const e = genAiTraces(1000 + seed, 3 + Math.floor(random() * 25));
          const all = e.resourceSpans[0].scopeSpans[0].spans;
          // Sessions of every rank: some spans name no conversation, some another one.
          for (const s of all) {
            const r = random();
            if (r < 0.35) s.attributes = s.attributes.filter((a) => a.key !== "gen_ai.conversation.id");
            else if (r < 0.55) {
              s.attributes = s.attributes.map((a) =>
                a.key === "gen_ai.conversation.id"
                  ? { key: a.key, value: { stringValue: `conv-other-${Math.floor(random() * 3)}` } }
                  : a
              );
            }
          }
          const ordered = [...all].sort((a, b) => (a.parentSpanId === "" ? 0 : 1) - (b.parentSpanId === "" ? 0 : 1));
          await clear();
          assert.equal((await send(exportOf(e, ordered), "json")).status, 200);
          const expected = await snapshot();
          await clear();
          // A shuffled copy plus some duplicates, cut into random requests.
          const pool = [...all, ...all.filter(() => random() < 0.3)];
          for (let i = pool.length - 1; i > 0; i--) {
            const j = Math.floor(random() * (i + 1));
            [pool[i], pool[j]] = [pool[j], pool[i]];
          }
          while (pool.length > 0) {
            const take = 1 + Math.floor(random() * Math.min(pool.length, 6));
            // A request never carries the same span twice (an exporter sends each once).
            const part: OtlpSpan[] = [];
            for (const s of pool.splice(0, take)) {
              if (part.some((p) => p.spanId === s.spanId && p.traceId === s.traceId)) pool.push(s);
              else part.push(s);
            }
            const res = await send(exportOf(e, part), random() < 0.5 ? "json" : "protobuf");
            assert.equal(res.status, 200, `seed ${seed}: ${new TextDecoder().decode(res.bytes)}`);
          }
          assert.deepEqual(await snapshot(), expected, `seed ${seed}`);
          cases++;
        }
        console.log(`property: ${cases} seeded cases in ${Date.now() - started} ms`);
        assert.ok(cases >= 3, "at least three cases ran");
      });
    } finally {
      await server.shutdown();
      await store.close();
      await sql.end();
    }
  },
});

const PGLITE_SUITE = "OTLP ingest end to end on PGlite (the local server's database)";

Deno.test({
  name: PGLITE_SUITE,
  ignore: requirePermissionSet(PGLITE_SUITE, "to read the repository (PGlite reads its own files; the migrations)", {
    name: "read",
    path: new URL("../../", import.meta.url),
  }),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const lite = await PGlite.create();
    await migrate(pgliteMigrationDb(lite));
    const handler = createIngestHandler(createPgliteStore(lite), { log: () => {} });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, handler);
    try {
      await lite.query("SELECT public.create_or_rotate_project_api_key($1, 'otlp', gen_random_uuid(), $2)", [
        PROJECT,
        hash_api_key(KEY),
      ]);
      const traces = genAiTraces(11, 9);
      const spans = traces.resourceSpans[0].scopeSpans[0].spans;
      // Children first over three requests, root last, alternating encodings.
      const parts = [
        spans.filter((s) => s.name.startsWith("execute_tool")),
        spans.filter((s) => s.parentSpanId !== "" && !s.name.startsWith("execute_tool")),
        spans.filter((s) => s.parentSpanId === ""),
      ];
      for (const [i, part] of parts.entries()) {
        const protobuf = i % 2 === 0;
        const res = await fetch(`http://127.0.0.1:${server.addr.port}${PATH}`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${KEY}`,
            "content-type": protobuf ? "application/x-protobuf" : "application/json",
          },
          body: protobuf ? encodeExport(exportOf(traces, part)) as Uint8Array<ArrayBuffer> : JSON.stringify(
            exportOf(traces, part),
          ),
        });
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), protobuf ? "application/x-protobuf" : "application/json");
        await res.body?.cancel();
      }
      const runs = (await lite.query<Record<string, any>>(
        "SELECT status, otlp_has_root, name FROM private.runs ORDER BY id",
      )).rows;
      assert.equal(runs.length, 3);
      assert.ok(runs.every((r) => r.otlp_has_root && r.status !== "running" && r.name.startsWith("invoke_agent")));
      const stored = (await lite.query<Record<string, any>>(
        `SELECT count(*) FILTER (WHERE parent_span_id IS NULL)::int AS roots,
           count(*) FILTER (WHERE pending_parent_span_id IS NOT NULL)::int AS waiting, count(*)::int AS n
         FROM private.spans`,
      )).rows[0];
      assert.deepEqual(stored, { roots: 3, waiting: 0, n: 9 });
    } finally {
      await server.shutdown();
      await lite.close();
    }
  },
});
