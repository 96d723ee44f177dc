// Property: records sharing an id, merged by the wasm core in one batch, are stored exactly
// as PostgreSQL stores the same records sent one request each, in order. Each case makes
// random sessions, runs, spans and events with repeated ids (metadata, attributes, errors
// and content with nested values, numbers of every shape, unicode, escapes and repeated
// keys), prepares and ingests them once as one batch and once record by record under fresh
// ids (the same ids with another first hex digit), then compares every stored row in SQL
// (jsonb equality, all columns). Needs SUPABASE_DB_URL (scripts/test-e2e.sh provides a
// throwaway PostgreSQL 15). NS_MERGE_SEED replays a run; NS_MERGE_CASES (150) and
// NS_MERGE_SECONDS (15) bound it.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { hash_api_key, prepare_batch, type PreparedBatch } from "../../supabase/functions/_shared/core.ts";
import { readVariable, requirePostgres } from "./_requires.ts";

const url = readVariable("SUPABASE_DB_URL");
const SUITE = "the merge property test on PostgreSQL 15";
const PROJECT = "cccccccc-0000-4000-8000-00000000e4e6";

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NUMBERS = [
  "0",
  "-0",
  "7",
  "-12",
  "0.10",
  "1.50",
  "1E2",
  "-1e+5",
  "2.5e-3",
  "12345678901234567890123",
  "-98765432109876543210.000000000000000000001",
  "3.14159265358979323846264338327950288",
  "1e-400",
  "1e400",
  "-1E+400",
  "9007199254740993",
];
const STRINGS = [
  "",
  "plain",
  "caf\\u00e9",
  "café",
  "\\ud83d\\ude00",
  "😀",
  '\\"quoted\\"',
  "back\\\\slash",
  "line\\nbreak\\ttab",
  "\\/",
  "\\u0041\\u00DF",
  "日本語",
];
// Keys repeat, and some are the same key spelled escaped.
const KEYS = ["a", "\\u0061", "b", "é", "\\u00e9", "model", "cost_usd", 'k\\"q', "", "\\ud83d\\ude00", "😀", "n"];
const TIMES = ["2025-03-01T12:00:00Z", "2025-03-01T12:00:01.123456Z", "2025-03-01T14:00:02+02:00"];

interface Gen {
  (): number;
}
const pick = <T>(r: Gen, items: readonly T[]): T => items[Math.floor(r() * items.length)];
const chance = (r: Gen, p: number) => r() < p;

/** Random JSON text (not a JS value: numbers such as 1e400 must keep their spelling). */
function value(r: Gen, depth: number): string {
  const k = Math.floor(r() * (depth > 0 ? 6 : 4));
  if (k === 0) return pick(r, NUMBERS);
  if (k === 1) return `"${pick(r, STRINGS)}"`;
  if (k === 2) return pick(r, ["null", "true", "false"]);
  if (k === 3) return `"${pick(r, STRINGS)}${pick(r, STRINGS)}"`;
  if (k === 4) return object(r, depth - 1);
  return `[${Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1)).join(", ")}]`;
}

function object(r: Gen, depth: number): string {
  const members = Array.from({ length: Math.floor(r() * 5) }, () => `"${pick(r, KEYS)}": ${value(r, depth)}`);
  return `{${members.join(",")}}`;
}

/** `,"key":value` or nothing. */
const optional = (r: Gen, key: string, v: () => string, p = 0.6) => chance(r, p) ? `,"${key}":${v()}` : "";

/** An id of this case: `side` is the first hex digit (batch or sequential). */
function id(side: string, caseNo: number, kind: number, n: number): string {
  const c = caseNo.toString(16).padStart(7, "0");
  return `${side}${c}-0000-4000-8000-${kind.toString(16)}${n.toString(16).padStart(11, "0")}`;
}

interface Rec {
  list: "sessions" | "runs" | "spans" | "events";
  /** Sequential requests go parents first (a span after its parent's first copy). */
  depth: number;
  /** The record's text with `@` where its ids' first hex digit goes. */
  text: string;
}

/** One case: records with repeated ids, in batch order. */
function makeCase(r: Gen, caseNo: number): Rec[] {
  const sid = (kind: number, n: number) => id("@", caseNo, kind, n);
  const sessions = 1 + Math.floor(r() * 2);
  const runs = 1 + Math.floor(r() * 2);
  const spans = 1 + Math.floor(r() * 4);
  const events = 1 + Math.floor(r() * 3);
  const recs: Rec[] = [];
  const copies = () => 1 + Math.floor(r() * 4);
  for (let s = 0; s < sessions; s++) {
    for (let c = copies(); c > 0; c--) {
      recs.push({
        list: "sessions",
        depth: 0,
        text: `{"id":"${sid(1, s)}","created_at":"${pick(r, TIMES)}"${
          optional(r, "ended_at", () => `"${pick(r, TIMES)}"`, 0.4)
        }${optional(r, "metadata", () => object(r, 3), 0.8)}}`,
      });
    }
  }
  const runOfSpan = Array.from({ length: spans }, () => Math.floor(r() * runs));
  // A span's parent is an earlier span of the same run, or none.
  const parentOf = runOfSpan.map((run, i) => {
    const earlier = runOfSpan.slice(0, i).map((rr, j) => rr === run ? j : -1).filter((j) => j >= 0);
    return earlier.length > 0 && chance(r, 0.6) ? pick(r, earlier) : -1;
  });
  const depthOf = (i: number): number => parentOf[i] < 0 ? 0 : 1 + depthOf(parentOf[i]);
  for (let n = 0; n < runs; n++) {
    for (let c = copies(); c > 0; c--) {
      recs.push({
        list: "runs",
        depth: 0,
        text: `{"id":"${sid(2, n)}","session_id":"${sid(1, Math.floor(r() * sessions))}","name":"${
          pick(r, STRINGS) || "run"
        }","started_at":"${pick(r, TIMES)}","status":"${pick(r, ["running", "ok", "error"])}"${
          optional(r, "ended_at", () => `"${pick(r, TIMES)}"`, 0.4)
        }${optional(r, "error", () => object(r, 2), 0.3)}${optional(r, "metadata", () => object(r, 3), 0.8)}}`,
      });
    }
  }
  for (let n = 0; n < spans; n++) {
    const parent = parentOf[n] >= 0 ? `,"parent_span_id":"${sid(3, parentOf[n])}"` : "";
    for (let c = copies(); c > 0; c--) {
      recs.push({
        list: "spans",
        depth: depthOf(n),
        text: `{"id":"${sid(3, n)}","run_id":"${sid(2, runOfSpan[n])}"${parent},"kind":"${
          pick(r, ["agent", "model", "tool"])
        }","name":"step ${pick(r, STRINGS)}","started_at":"${pick(r, TIMES)}","status":"${
          pick(r, ["running", "ok", "error"])
        }"${optional(r, "ended_at", () => `"${pick(r, TIMES)}"`, 0.4)}${optional(r, "error", () => object(r, 2), 0.3)}${
          optional(r, "iteration", () => String(Math.floor(r() * 5)), 0.3)
        }${optional(r, "attributes", () => object(r, 3), 0.8)}}`,
      });
    }
  }
  for (let n = 0; n < events; n++) {
    const span = Math.floor(r() * spans);
    const spanId = chance(r, 0.5) ? `,"span_id":"${sid(3, span)}"` : "";
    for (let c = copies(); c > 0; c--) {
      recs.push({
        list: "events",
        depth: 0,
        text: `{"id":"${sid(4, n)}","run_id":"${sid(2, runOfSpan[span])}"${spanId},"type":"${
          pick(r, ["user_input", "tool_result", "final_response"])
        }","created_at":"${pick(r, TIMES)}"${optional(r, "content", () => value(r, 3), 0.7)}${
          optional(r, "attributes", () => object(r, 3), 0.8)
        }}`,
      });
    }
  }
  // Copies of different ids are interleaved; copies of one id keep their order.
  for (const list of ["sessions", "runs", "spans", "events"]) {
    const of = recs.filter((x) => x.list === list);
    const slots = recs.map((x, i) => x.list === list ? i : -1).filter((i) => i >= 0);
    const shuffled = interleave(r, of);
    slots.forEach((slot, k) => recs[slot] = shuffled[k]);
  }
  return recs;
}

/** A random merge of each id's copies that keeps every id's own order. */
function interleave(r: Gen, recs: Rec[]): Rec[] {
  const byId = new Map<string, Rec[]>();
  for (const x of recs) {
    const key = /"id":"([^"]+)"/.exec(x.text)![1];
    byId.set(key, [...byId.get(key) ?? [], x]);
  }
  const queues = [...byId.values()];
  const out: Rec[] = [];
  while (queues.some((q) => q.length > 0)) {
    const open = queues.filter((q) => q.length > 0);
    out.push(pick(r, open).shift()!);
  }
  return out;
}

function body(recs: Rec[], side: string): Uint8Array {
  const lists = ["sessions", "runs", "spans", "events"].map((list) =>
    `"${list}":[${recs.filter((x) => x.list === list).map((x) => x.text.replaceAll("@", side)).join(",")}]`
  );
  return new TextEncoder().encode(`{"schema_version":2,${lists.join(",")}}`);
}

function prepared(bytes: Uint8Array): PreparedBatch {
  const result = prepare_batch(bytes, PROJECT, undefined);
  if (!result.ok) {
    throw new Error(`refused: ${JSON.stringify(result.errors)}\n${new TextDecoder().decode(bytes)}`);
  }
  return result;
}

// Every column of a row, as jsonb, with ids cut of their first hex digit (the side).
const ROWS = (table: string) => `
  SELECT (SELECT jsonb_object_agg(k, CASE
      WHEN k IN ('id', 'session_id', 'run_id', 'parent_span_id', 'span_id') AND jsonb_typeof(v) = 'string'
      THEN to_jsonb(substr(v #>> '{}', 2)) ELSE v END)
    FROM jsonb_each(to_jsonb(t)) AS e(k, v)) AS row
  FROM private.${table} t WHERE t.project_id = $1 AND t.id::text LIKE $2`;

Deno.test({
  name: "records merged in one batch are stored as when sent one request each (property, PostgreSQL)",
  ignore: requirePostgres(SUITE),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const seed = Number(readVariable("NS_MERGE_SEED") ?? Math.floor(Math.random() * 2 ** 31));
    const cases = Number(readVariable("NS_MERGE_CASES") ?? 150);
    // A busy machine runs fewer cases (at least 25), so the test stays under ~20 s.
    const budgetMs = 1000 * Number(readVariable("NS_MERGE_SECONDS") ?? 15);
    console.log(`merge property: seed ${seed} (NS_MERGE_SEED=${seed} replays it), up to ${cases} cases`);
    const r = rng(seed);
    const sql = postgres(url!, { prepare: false, max: 1, onnotice: () => {} });
    const ingest = async (b: PreparedBatch) => {
      await sql`SELECT private.ingest_batch_with_prompt_links(${PROJECT}::uuid, ${b.sessions}::text::jsonb,
        ${b.runs}::text::jsonb, ${b.spans}::text::jsonb, ${b.events}::text::jsonb, '[]'::jsonb)`;
    };
    try {
      await sql`SELECT public.create_or_rotate_project_api_key(${PROJECT}, 'merge property', gen_random_uuid(),
        ${hash_api_key("ns_e2e_key_for_the_merge_property")})`;
      const started = performance.now();
      let merged = 0;
      let requests = 0;
      let caseNo = 1;
      for (; caseNo <= cases && (caseNo <= 25 || performance.now() - started < budgetMs); caseNo++) {
        const recs = makeCase(r, caseNo + seed % 100_000 * 1000);
        const b = prepared(body(recs, "a"));
        merged += recs.length - (b.counts.sessions + b.counts.runs + b.counts.spans + b.counts.events);
        await ingest(b);
        // One request per record, in batch order but parents before children.
        const ordered = recs.map((x, i) => [x, i] as const).sort((x, y) =>
          (x[0].list === "spans" && y[0].list === "spans" ? x[0].depth - y[0].depth : 0) || x[1] - y[1]
        );
        for (const [x] of ordered) {
          await ingest(prepared(body([x], "b")));
          requests++;
        }
        for (const table of ["sessions", "runs", "spans", "events"]) {
          const c = caseNo + seed % 100_000 * 1000;
          const pattern = (side: string) => `${side}${c.toString(16).padStart(7, "0")}-%`;
          const diff = await sql.unsafe(
            `WITH one AS (${ROWS(table)}), each_ AS (${ROWS(table).replace("$2", "$3")})
             SELECT 'batch' AS side, row FROM (SELECT row FROM one EXCEPT SELECT row FROM each_) x
             UNION ALL SELECT 'sequential', row FROM (SELECT row FROM each_ EXCEPT SELECT row FROM one) y`,
            [PROJECT, pattern("a"), pattern("b")],
          );
          const [{ n }] = await sql.unsafe(`SELECT count(*)::int AS n FROM (${ROWS(table)}) x`, [
            PROJECT,
            pattern("a"),
          ]);
          assert.ok(n > 0, `case ${caseNo}: no ${table} stored`);
          assert.deepEqual(
            [...diff],
            [],
            `seed ${seed}, case ${caseNo}, ${table}: rows differ\n${
              recs.filter((x) => x.list === table).map((x) => x.text).join("\n")
            }`,
          );
        }
      }
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `merge property: ${caseNo - 1} cases, ${merged} records merged away, ${requests} single-record requests, ${
          seconds.toFixed(1)
        } s`,
      );
      assert.ok(merged > caseNo - 1, "the cases must repeat ids");
    } finally {
      await sql.end();
    }
  },
});
