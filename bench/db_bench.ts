/**
 * Database ingest benchmark (`deno task bench:db`), in one run on one throwaway cluster
 * started by `bench/db-bench.sh` (which sets PGHOST/PGPORT/… and BENCH_DATABASES).
 *
 * Each database of BENCH_DATABASES holds one schema: `before` the migrations up to 026,
 * `after` all of them, `run_fk` (with `--levers`) up to 028 (run_id foreign keys kept). For each batch — SDK-shaped mixes of 50, 2,000 and 10,000 records
 * prepared by the wasm core (sessions, runs, spans with parents, events), a 10,000-span
 * parent chain and a bushy 10,000-span tree — and each database, interleaved round by
 * round, it times:
 *   - RPC: `private.ingest_batch_with_prompt_links` on the prepared lists (what the
 *     endpoint runs), fresh ids;
 *   - COPY: `\copy` of the same rows into the same tables (the practical limit);
 *   - re-sent: the same RPC a second time on the same batch (every row stored);
 * each inside a transaction that is rolled back, so the tables keep their state. First on
 * empty tables, then on tables pre-filled with set-based SQL (1M spans, 1M events, 100k
 * runs, 10k sessions over 5 projects, the benchmark's project among them). Then, with
 * auto_explain on pre-filled tables, it counts the statements per call and fails if any
 * plan of the ingest path scans sessions, runs, spans or events whole (Seq Scan), and it
 * times the first call on a new connection. Ids are random UUIDs (no collisions).
 */
import { prepare_batch } from "../supabase/functions/_shared/core.ts";
import { BatchGenerator } from "./sdk_batch.ts";

const DATABASES = (Deno.env.get("BENCH_DATABASES") ?? "after").split(",");
/** BENCH_QUICK=1: empty tables only, no plans (for iterating on the SQL). */
const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const FILL_PROJECTS = 5;
/** The benchmark's project: the first of the pre-fill's projects. */
const PROJECT = "00000000-0000-4000-8000-000000000001";
const FILL_SPANS_PER_RUN = 10;
const FILL_RUNS = 100_000;
const dir = await Deno.makeTempDir({ prefix: "northstar-db-bench-" });
const decoder = new TextDecoder();
const benchStart = performance.now();

/** Runs a psql script on one database; returns stdout and stderr. */
async function psql(db: string, script: string): Promise<{ out: string; err: string }> {
  const file = `${dir}/script-${db}.sql`;
  await Deno.writeTextFile(file, script);
  const res = await new Deno.Command("psql", { args: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", file] })
    .output();
  const out = decoder.decode(res.stdout), err = decoder.decode(res.stderr);
  if (!res.success) throw new Error(`psql (${db}) failed: ${err.slice(0, 2000)}\n${out.slice(0, 500)}`);
  return { out, err };
}

/** Milliseconds per marked section (`@name` lines followed by psql's `Time:` lines). */
function sections(output: string): Map<string, number[]> {
  const times = new Map<string, number[]>();
  let current = "";
  for (const line of output.split("\n")) {
    if (line.startsWith("@")) {
      current = line.slice(1).trim();
      if (!times.has(current)) times.set(current, []);
      times.get(current)!.push(0);
    } else {
      const m = line.match(/^Time: ([0-9.]+) ms/);
      if (m && current) {
        const list = times.get(current)!;
        list[list.length - 1] += Number(m[1]);
      }
    }
  }
  return times;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const JSON_COLUMNS = new Set(["metadata", "error", "attributes", "content"]);
const COLUMNS: Record<string, string[]> = {
  sessions: ["id", "project_id", "created_at", "ended_at", "metadata"],
  runs: ["id", "session_id", "project_id", "name", "started_at", "ended_at", "status", "error", "metadata"],
  spans: [
    "id",
    "run_id",
    "project_id",
    "parent_span_id",
    "kind",
    "name",
    "started_at",
    "ended_at",
    "status",
    "error",
    "iteration",
    "attributes",
  ],
  events: ["id", "run_id", "span_id", "project_id", "type", "created_at", "content", "attributes"],
};
const DEFAULTS: Record<string, unknown> = { metadata: {}, attributes: {} };

/** A value as COPY's text format wants it (jsonb columns take JSON text). */
function copyValue(v: unknown, column: string): string {
  if (column === "content" && (v === undefined || v === null)) return "null";
  if (v === undefined || v === null) return "\\N";
  const text = typeof v === "string" && !JSON_COLUMNS.has(column) ? v : JSON.stringify(v);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** A batch as the endpoint hands it to the database: the core's four JSON lists. */
type Lists = Record<"sessions" | "runs" | "spans" | "events", string>;

function prepare(batch: unknown): Lists {
  const prepared = prepare_batch(new TextEncoder().encode(JSON.stringify(batch)), PROJECT, undefined);
  if (!prepared.ok) throw new Error(prepared.error);
  return { sessions: prepared.sessions, runs: prepared.runs, spans: prepared.spans, events: prepared.events };
}

/** One run with `spans` spans: a chain (each the parent of the next) or a tree of fan-out 8. */
function spanTree(spans: number, shape: "chain" | "bushy") {
  const session = crypto.randomUUID(), run = crypto.randomUUID();
  const ids = Array.from({ length: spans }, () => crypto.randomUUID());
  const t = "2025-03-01T12:00:00.000000Z";
  return {
    schema_version: 2,
    sessions: [{ id: session, created_at: t }],
    runs: [{ id: run, session_id: session, name: "tree", started_at: t, status: "ok" }],
    spans: ids.map((id, i) => ({
      id,
      run_id: run,
      ...(i > 0 ? { parent_span_id: ids[shape === "chain" ? i - 1 : Math.floor((i - 1) / 8)] } : {}),
      kind: i % 2 ? "tool" : "model",
      name: `step-${i}`,
      started_at: t,
      ended_at: t,
      status: "ok",
      attributes: { latency_ms: i },
    })),
    events: [],
    scores: [],
    prompt_links: [],
  };
}

const generator = new BatchGenerator(7);
interface Case {
  name: string;
  rounds: number;
  make: () => Lists;
  databases?: string[];
}
const CASES: Case[] = [
  { name: "sdk 50", rounds: 21, make: () => prepare(generator.batchOfRecords(50)) },
  { name: "sdk 2,000", rounds: 7, make: () => prepare(generator.batchOfRecords(2_000)) },
  { name: "sdk 10,000", rounds: 5, make: () => prepare(generator.batchOfRecords(10_000)) },
  { name: "bushy 10,000 spans", rounds: 3, make: () => prepare(spanTree(9_998, "bushy")) },
  // `after` only: 006's recursive cycle walk is quadratic (about a minute at 10,000).
  { name: "chain 10,000 spans", rounds: 3, make: () => prepare(spanTree(9_998, "chain")), databases: ["after"] },
  { name: "chain 2,000 spans", rounds: 1, make: () => prepare(spanTree(1_998, "chain")) },
];

/** Writes a batch's JSON lists and COPY files under `prefix`; returns its record count. */
async function writeBatch(lists: Lists, prefix: string): Promise<number> {
  let records = 0;
  for (const [kind, text] of Object.entries(lists)) {
    await Deno.writeTextFile(`${prefix}-${kind}.json`, text);
    const rows = JSON.parse(text) as Record<string, unknown>[];
    records += rows.length;
    const tsv = rows.map((r) => COLUMNS[kind].map((c) => copyValue(r[c] ?? DEFAULTS[c], c)).join("\t")).join("\n");
    await Deno.writeTextFile(`${prefix}-${kind}.tsv`, rows.length ? tsv + "\n" : "");
  }
  return records;
}

const rpc = (p: string) =>
  `SELECT private.ingest_batch_with_prompt_links('${PROJECT}', :'s${p}'::jsonb, :'r${p}'::jsonb, :'sp${p}'::jsonb, :'e${p}'::jsonb, '[]') \\g /dev/null`;

/** One psql script for all rounds of a case on one database: RPC and COPY alternate first. */
function caseScript(prefixes: string[]): string {
  const lines: string[] = [];
  prefixes.forEach((prefix, i) => {
    const p = String(i);
    lines.push(
      `\\set s${p} \`cat ${prefix}-sessions.json\``,
      `\\set r${p} \`cat ${prefix}-runs.json\``,
      `\\set sp${p} \`cat ${prefix}-spans.json\``,
      `\\set e${p} \`cat ${prefix}-events.json\``,
    );
    const rpcPart = ["BEGIN;", "\\echo @rpc", "\\timing on", rpc(p), "\\timing off", "ROLLBACK;"];
    const copyPart = [
      "BEGIN;",
      "\\echo @copy",
      "\\timing on",
      ...Object.keys(COLUMNS).map((k) => `\\copy private.${k} (${COLUMNS[k].join(", ")}) FROM '${prefix}-${k}.tsv'`),
      "\\timing off",
      "ROLLBACK;",
    ];
    const resendPart = ["BEGIN;", rpc(p), "\\echo @resend", "\\timing on", rpc(p), "\\timing off", "ROLLBACK;"];
    lines.push(...(i % 2 ? [...copyPart, ...rpcPart] : [...rpcPart, ...copyPart]), ...resendPart);
  });
  return lines.join("\n") + "\n";
}

interface Row {
  state: string;
  batch: string;
  db: string;
  records: number;
  rpc: number;
  copy: number;
  resend: number;
}
const results: Row[] = [];

async function measure(state: string) {
  for (const c of CASES) {
    const dbs = DATABASES.filter((db) => !c.databases || c.databases.includes(db));
    const prefixes: string[] = [];
    let records = 0;
    for (let round = 0; round < c.rounds; round++) {
      const prefix = `${dir}/${c.name.replace(/[^a-z0-9]/gi, "")}-${round}`;
      records = await writeBatch(c.make(), prefix);
      prefixes.push(prefix);
    }
    // Databases alternate by case and, inside each script, RPC and COPY by round.
    for (const db of round2(dbs)) {
      const t = sections((await psql(db, caseScript(prefixes))).out);
      results.push({
        state,
        batch: c.name,
        db,
        records,
        rpc: median(t.get("rpc")!),
        copy: median(t.get("copy")!),
        resend: median(t.get("resend")!),
      });
    }
  }
}
/** `after` first on one state, `before` first on the other. */
let flip = false;
function round2(dbs: string[]): string[] {
  flip = !flip;
  return flip ? dbs : [...dbs].reverse();
}

function fmt(n: number, digits = 0) {
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function printResults(state: string) {
  console.log(`\n== ${state} tables: median of the rounds; rows/s = records / time; RPC/COPY = ratio of rows/s`);
  console.table(
    results.filter((r) => r.state === state).map((r) => ({
      batch: r.batch,
      db: r.db,
      "RPC ms": fmt(r.rpc, 1),
      "RPC rows/s": fmt(r.records / r.rpc * 1000),
      "COPY ms": fmt(r.copy, 1),
      "COPY rows/s": fmt(r.records / r.copy * 1000),
      "RPC/COPY": fmt(r.copy / r.rpc, 2),
      "µs/record": fmt(r.rpc * 1000 / r.records, 1),
      "re-sent ms": fmt(r.resend, 1),
      "re-sent/COPY": fmt(r.copy / r.resend, 2),
    })),
  );
}

// ------------------------------------------------------------------ run
for (const db of DATABASES) {
  await psql(
    db,
    `INSERT INTO private.projects (id, name) SELECT ('00000000-0000-4000-8000-' || lpad(p::text, 12, '0'))::uuid, 'bench ' || p FROM generate_series(1, ${FILL_PROJECTS}) p;`,
  );
}
console.log(`databases: ${DATABASES.join(", ")} (before = migrations ≤ 026, after = all)`);
await measure("empty");
printResults("empty");
if (QUICK) Deno.exit(0);

// Pre-fill, set-based (foreign-key triggers off for the fill only: the rows are consistent
// by construction), then ANALYZE as autovacuum would.
const fill = `
SET session_replication_role = replica;
INSERT INTO private.sessions (id, project_id, created_at, metadata)
SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad((1 + s % ${FILL_PROJECTS})::text, 12, '0'))::uuid,
  timestamptz '2025-01-01' + s * interval '1 minute', '{"source": "fill"}'
FROM generate_series(1, ${FILL_RUNS / 10}) s;
INSERT INTO private.runs (id, session_id, project_id, name, started_at, ended_at, status, metadata)
SELECT gen_random_uuid(), s.id, s.project_id, 'fill-agent', s.created_at + i * interval '1 s',
  s.created_at + i * interval '1 s' + interval '2 s', 'ok', '{"cost_usd": 0.0025, "total_input_tokens": 200}'
FROM private.sessions s, generate_series(1, 10) i;
INSERT INTO private.spans (id, run_id, project_id, parent_span_id, kind, name, started_at, ended_at, status, attributes)
SELECT md5(r.id::text || i)::uuid, r.id, r.project_id, CASE WHEN i > 1 THEN md5(r.id::text || 1)::uuid END,
  CASE WHEN i = 1 THEN 'agent' WHEN i % 2 = 0 THEN 'model' ELSE 'tool' END, 'step', r.started_at + i * interval '1 ms',
  r.started_at + i * interval '2 ms', 'ok',
  CASE WHEN i % 2 = 0 THEN '{"model": "gpt-4o", "input_tokens": 100, "output_tokens": 25, "cost_usd": 0.00125}'::jsonb
       ELSE '{"tool_type": "http", "latency_ms": 95}'::jsonb END
FROM private.runs r, generate_series(1, ${FILL_SPANS_PER_RUN}) i;
INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
SELECT gen_random_uuid(), r.id, CASE WHEN i > 1 THEN md5(r.id::text || i)::uuid END, r.project_id,
  CASE WHEN i = 1 THEN 'user_input' WHEN i % 2 = 0 THEN 'assistant_message' ELSE 'tool_result' END,
  r.started_at + i * interval '1 ms', to_jsonb('the agent looked up the current api documentation and summarized ' || i), '{}'
FROM private.runs r, generate_series(1, ${FILL_SPANS_PER_RUN}) i;
RESET session_replication_role;
ANALYZE private.sessions, private.runs, private.spans, private.events;
`;
for (const db of DATABASES) {
  const t0 = performance.now();
  await psql(db, fill);
  const counts = (await psql(
    db,
    `\\pset tuples_only on\nSELECT (SELECT count(*) FROM private.spans) || ' spans, ' || (SELECT count(*) FROM private.events) || ' events, ' || (SELECT count(*) FROM private.runs) || ' runs';`,
  )).out.trim();
  console.log(
    `\npre-fill of ${db}: ${counts} in ${fmt((performance.now() - t0) / 1000, 1)} s (set-based INSERT … SELECT)`,
  );
}
await measure("pre-filled");
printResults("pre-filled");

// ------------------------------------------------------------------ plans and statements
// auto_explain prints every executed plan of the ingest path (nested statements included)
// as a NOTICE: 7 calls of 50 records (plpgsql switches to generic plans after 5), then one
// of 10,000 records in the same session, on pre-filled tables.
console.log("\n== plans on pre-filled tables (auto_explain, nested statements)");
const small = Array.from({ length: 7 }, (_, i) => `${dir}/explain-small-${i}`);
for (const p of small) await writeBatch(prepare(generator.batchOfRecords(50)), p);
const large = `${dir}/explain-large`;
await writeBatch(prepare(generator.batchOfRecords(10_000)), large);
let seqScanFound = false;
for (const db of DATABASES) {
  const lines = [
    "LOAD 'auto_explain';",
    "SET auto_explain.log_min_duration = 0;",
    "SET auto_explain.log_nested_statements = on;",
    "SET auto_explain.log_level = notice;",
    "SET client_min_messages = notice;",
  ];
  [...small, large].forEach((prefix, i) => {
    lines.push(
      `\\set s${i} \`cat ${prefix}-sessions.json\``,
      `\\set r${i} \`cat ${prefix}-runs.json\``,
      `\\set sp${i} \`cat ${prefix}-spans.json\``,
      `\\set e${i} \`cat ${prefix}-events.json\``,
      "BEGIN;",
      `\\echo @call ${i}`,
      rpc(String(i)),
      "ROLLBACK;",
    );
  });
  const { err } = await psql(db, lines.join("\n") + "\n");
  const plans = err.split(/NOTICE: {2}duration:/).slice(1);
  // Every call logs its nested statements, then the top-level SELECT. Foreign-key checks
  // (`SELECT 1 FROM ONLY …`, one per inserted row) are counted apart.
  const perCall: string[] = [];
  let statements = 0, keyChecks = 0;
  for (const plan of plans) {
    if (plan.includes("ingest_batch_with_prompt_links('")) {
      perCall.push(`${statements}+${keyChecks}`);
      statements = 0;
      keyChecks = 0;
    } else if (/Query Text: SELECT 1 FROM ONLY/.test(plan)) keyChecks++;
    else statements++;
  }
  const scans = plans.filter((p) => /Seq Scan on (sessions|runs|spans|events)\b/.test(p));
  if (scans.length && db === "after") seqScanFound = true;
  console.log(
    `${db}: statements per call + foreign-key check queries (nested, top-level SELECT excluded): ${
      perCall.join(", ")
    } (7 × 50 records, then 10,000); plans with a Seq Scan on sessions/runs/spans/events: ${scans.length}`,
  );
  for (const s of scans.slice(0, 3)) console.log(s.split("\n").slice(0, 25).join("\n"));
}

// The read models (012–016, 022, 023) on the same pre-filled tables: index-served too.
console.log("\n== read models on pre-filled tables (auto_explain, nested statements)");
for (const db of DATABASES) {
  const { err } = await psql(
    db,
    `SELECT id AS sid FROM private.sessions WHERE project_id = '${PROJECT}' LIMIT 1 \\gset
SELECT id AS rid FROM private.runs WHERE session_id = :'sid' LIMIT 1 \\gset
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET ROLE service_role;
SELECT count(*) FROM public.dashboard_get_session('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_list_traces('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_get_trace('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_list_session_tool_calls('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_list_trace_tool_calls('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_list_trace_events('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_list_trace_spans('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_session_cost('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_project_cost_summary('${PROJECT}', '2025-01-20');
`,
  );
  const plans = err.split(/NOTICE: {2}duration:/).slice(1);
  const scans = plans.filter((p) => /Seq Scan on (sessions|runs|spans|events)\b/.test(p));
  if (scans.length && db === "after") seqScanFound = true;
  const indexes = [...new Set([...err.matchAll(/(?:Index Scan using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]))];
  console.log(
    `${db}: ${plans.length} plans; Seq Scan on sessions/runs/spans/events: ${scans.length}; indexes used: ${
      indexes.sort().join(", ")
    }`,
  );
  for (const s of scans.slice(0, 2)) console.log(s.split("\n").slice(0, 25).join("\n"));
}

// ------------------------------------------------------------------ first call
console.log("\n== first call on a new connection (50 records; median of 3 connections), pre-filled tables");
for (const db of DATABASES) {
  const first: number[] = [], second: number[] = [];
  for (let i = 0; i < 3; i++) {
    const a = `${dir}/first-${db}-${i}-a`, b = `${dir}/first-${db}-${i}-b`;
    await writeBatch(prepare(generator.batchOfRecords(50)), a);
    await writeBatch(prepare(generator.batchOfRecords(50)), b);
    const script = [a, b].map((prefix, j) =>
      [
        `\\set s${j} \`cat ${prefix}-sessions.json\``,
        `\\set r${j} \`cat ${prefix}-runs.json\``,
        `\\set sp${j} \`cat ${prefix}-spans.json\``,
        `\\set e${j} \`cat ${prefix}-events.json\``,
        "BEGIN;",
        `\\echo @call${j}`,
        "\\timing on",
        rpc(String(j)),
        "\\timing off",
        "ROLLBACK;",
      ].join("\n")
    ).join("\n");
    const t = sections((await psql(db, script + "\n")).out);
    first.push(t.get("call0")![0]);
    second.push(t.get("call1")![0]);
  }
  console.log(`${db}: first call ${fmt(median(first), 1)} ms, second call ${fmt(median(second), 1)} ms`);
}

// ------------------------------------------------------------------ targets
const get = (state: string, batch: string, db: string) =>
  results.find((r) => r.state === state && r.batch === batch && r.db === db);
console.log("\n== issue 10 targets (after)");
for (const state of ["empty", "pre-filled"]) {
  for (const batch of ["sdk 2,000", "sdk 10,000"]) {
    const r = get(state, batch, "after");
    if (r) console.log(`RPC/COPY ≥ 0.9, ${batch}, ${state}: ${fmt(r.copy / r.rpc, 2)}`);
  }
}
const r2 = get("pre-filled", "sdk 2,000", "after"), r10 = get("pre-filled", "sdk 10,000", "after");
if (r2 && r10) {
  console.log(
    `µs/record at 10,000 ≤ 1.2 × at 2,000, pre-filled: ${fmt(r10.rpc * 1000 / r10.records, 1)} vs ${
      fmt(r2.rpc * 1000 / r2.records, 1)
    } → ${fmt((r10.rpc / r10.records) / (r2.rpc / r2.records), 2)}×`,
  );
}
for (const state of ["empty", "pre-filled"]) {
  const chain = get(state, "chain 10,000 spans", "after"), bushy = get(state, "bushy 10,000 spans", "after");
  if (chain && bushy) {
    console.log(
      `chain 10,000 ≤ 2 × bushy 10,000 per record, ${state}: ${fmt(chain.rpc / bushy.rpc, 2)}×`,
    );
  }
}
for (const other of DATABASES.filter((db) => db !== "after")) {
  console.log(`\n== after vs ${other}: RPC time of ${other} / RPC time of after (same run; > 1 means after is faster)`);
  for (const state of ["empty", "pre-filled"]) {
    for (const c of CASES) {
      const a = get(state, c.name, "after"), b = get(state, c.name, other);
      if (a && b) {
        console.log(
          `${state.padEnd(10)} ${c.name.padEnd(20)} fresh ${fmt(b.rpc / a.rpc, 2)}×   re-sent ${
            fmt(b.resend / a.resend, 2)
          }×   COPY ${fmt(b.copy / a.copy, 2)}×`,
        );
      }
    }
  }
}
console.log(`\nbench:db took ${fmt((performance.now() - benchStart) / 1000, 0)} s`);
await Deno.remove(dir, { recursive: true });
if (seqScanFound) {
  console.error("a plan of the new ingest path scans a whole table (see above)");
  Deno.exit(1);
}
