/**
 * The OTLP write (`private.ingest_otlp_batch`, migration 035) against the native one
 * (`private.ingest_prepared_batch`) on the same prepared export of 999 GenAI spans (333 traces), on
 * PostgreSQL 15 (bench/otlp-db-bench.sh starts a throwaway cluster). Interleaved, one fresh
 * project per sample (all inserts), medians and ratios measured in this one run:
 *   native      the native statement, the lists parents first as prepare_otlp emits them
 *   otlp        the OTLP statement on the same lists, one request
 *   otlp_split  the same spans as three requests, children first, root last (summed)
 *
 * @module
 */
import postgres from "npm:postgres@3.4.9";
import { encodeExport, GenAiExportGenerator, type OtlpExport, type OtlpSpan } from "./otlp_export.ts";
import { prepare_otlp, type PreparedOtlp } from "../supabase/functions/_shared/core.ts";
import { INGEST_OTLP_SQL, INGEST_SQL, ingestLists, otlpLists } from "../supabase/functions/_shared/store.ts";

// 333 whole traces: the native statement refuses a span whose parent is missing.
const SPANS = 999;
const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 12);
const url = Deno.env.get("SUPABASE_DB_URL")!;
const sql = postgres(url, { onnotice: () => {}, max: 1, prepare: false });

const template = new GenAiExportGenerator(42).export(SPANS);
const spans = template.resourceSpans[0].scopeSpans[0].spans;
const exportOf = (part: OtlpSpan[]): OtlpExport => ({
  resourceSpans: [{
    resource: template.resourceSpans[0].resource,
    scopeSpans: [{ scope: template.resourceSpans[0].scopeSpans[0].scope, spans: part }],
  }],
});
const parts = [
  spans.filter((s) => s.name.startsWith("execute_tool")),
  spans.filter((s) => s.parentSpanId !== "" && !s.name.startsWith("execute_tool")),
  spans.filter((s) => s.parentSpanId === ""),
];

function prepared(e: OtlpExport, project: string): PreparedOtlp {
  const p = prepare_otlp(encodeExport(e), "application/x-protobuf", project, undefined);
  if (!p.ok) throw new Error(p.error);
  return p;
}

async function freshProject(): Promise<string> {
  const id = crypto.randomUUID();
  await sql.unsafe(`INSERT INTO private.projects (id, name) VALUES ('${id}', 'bench')`);
  return id;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await work();
  return performance.now() - t0;
}

const samples: Record<string, number[]> = { native: [], otlp: [], otlp_split: [] };
const cases: Record<string, () => Promise<number>> = {
  native: async () => {
    const project = await freshProject();
    const p = prepared(template, project);
    return await timed(() => sql.unsafe(INGEST_SQL, [project, ...ingestLists(p)]));
  },
  otlp: async () => {
    const project = await freshProject();
    const p = prepared(template, project);
    return await timed(() => sql.unsafe(INGEST_OTLP_SQL, [project, ...otlpLists(p)]));
  },
  otlp_split: async () => {
    const project = await freshProject();
    const ps = parts.map((part) => prepared(exportOf(part), project));
    let total = 0;
    for (const p of ps) total += await timed(() => sql.unsafe(INGEST_OTLP_SQL, [project, ...otlpLists(p)]));
    return total;
  },
};

const names = Object.keys(cases);
for (let round = 0; round < ROUNDS + 2; round++) {
  // Rotate the order each round; the first two rounds warm up and are not counted.
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length];
    const ms = await cases[name]();
    if (round >= 2) samples[name].push(ms);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(samples.native);
console.log(`${SPANS} GenAI spans (+ their events) per sample, ${ROUNDS} interleaved rounds, median ms:`);
for (const name of names) {
  const m = median(samples[name]);
  console.log(`  ${name.padEnd(11)} ${m.toFixed(1).padStart(8)} ms   ×${(m / base).toFixed(2)} of native`);
}
await sql.end();
