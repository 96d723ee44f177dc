/**
 * Database ingest benchmark, in one run on one throwaway cluster (started by
 * `bench/db-bench.sh`, which sets PGHOST/PGPORT/…): SDK-shaped batches of about 1,000 and
 * 10,000 records, prepared by the wasm core, written
 *   - through `private.ingest_batch_with_prompt_links` (one call, one transaction: what the
 *     endpoint does),
 *   - with `COPY` of the same rows into the same tables (the practical limit),
 * each into empty tables, best of several rounds. Prints rows/s and the ratio.
 */
import { prepare_batch } from "../supabase/functions/_shared/core.ts";
import { BatchGenerator, recordCount } from "./sdk_batch.ts";

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";
const ROUNDS = 5;
const dir = await Deno.makeTempDir({ prefix: "northstar-db-bench-" });

async function psql(script: string): Promise<string> {
  const file = `${dir}/script.sql`;
  await Deno.writeTextFile(file, script);
  const out = await new Deno.Command("psql", { args: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file] }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`psql failed: ${new TextDecoder().decode(out.stderr)}\n${text}`);
  return text;
}

/** Milliseconds of the statements between the two markers, from psql's \timing. */
function elapsed(output: string): number {
  return [...output.matchAll(/^Time: ([0-9.]+) ms/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

const JSON_COLUMNS = new Set(["metadata", "error", "attributes", "content"]);

/** A value as COPY's text format wants it (jsonb columns take JSON text). */
function copyValue(v: unknown, column: string): string {
  if (column === "content" && (v === undefined || v === null)) return "null";
  if (v === undefined || v === null) return "\\N";
  const text = typeof v === "string" && !JSON_COLUMNS.has(column) ? v : JSON.stringify(v);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

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

await psql(`INSERT INTO private.projects (id, name) VALUES ('${PROJECT}', 'bench');`);
const truncate = "TRUNCATE private.events, private.spans, private.runs, private.sessions CASCADE;";
const generator = new BatchGenerator(7);
const rows = [];
for (const target of [1_000, 10_000]) {
  const batch = generator.batchOfRecords(target);
  const records = recordCount(batch);
  const prepared = prepare_batch(new TextEncoder().encode(JSON.stringify(batch)), PROJECT, undefined);
  if (!prepared.ok) throw new Error(prepared.error);
  const lists: Record<string, string> = {
    sessions: prepared.sessions,
    runs: prepared.runs,
    spans: prepared.spans,
    events: prepared.events,
  };
  for (const [kind, text] of Object.entries(lists)) {
    await Deno.writeTextFile(`${dir}/${kind}.json`, text);
    const tsv = (JSON.parse(text) as Record<string, unknown>[])
      .map((r) => COLUMNS[kind].map((c) => copyValue(r[c] ?? DEFAULTS[c], c)).join("\t"))
      .join("\n");
    await Deno.writeTextFile(`${dir}/${kind}.tsv`, tsv + "\n");
  }
  const rpcScript = `${truncate}
\\set s \`cat ${dir}/sessions.json\`
\\set r \`cat ${dir}/runs.json\`
\\set sp \`cat ${dir}/spans.json\`
\\set e \`cat ${dir}/events.json\`
\\timing on
BEGIN;
SELECT private.ingest_batch_with_prompt_links('${PROJECT}', :'s'::jsonb, :'r'::jsonb, :'sp'::jsonb, :'e'::jsonb, '[]') \\g /dev/null
COMMIT;
\\timing off
`;
  const copyScript = `${truncate}
\\timing on
BEGIN;
${Object.keys(lists).map((k) => `\\copy private.${k} (${COLUMNS[k].join(", ")}) FROM '${dir}/${k}.tsv'`).join("\n")}
COMMIT;
\\timing off
`;
  let rpcBest = Infinity, copyBest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    rpcBest = Math.min(rpcBest, elapsed(await psql(rpcScript)));
    copyBest = Math.min(copyBest, elapsed(await psql(copyScript)));
  }
  const stored = await psql(
    `\\pset tuples_only on\nSELECT (SELECT count(*) FROM private.sessions) + (SELECT count(*) FROM private.runs) + (SELECT count(*) FROM private.spans) + (SELECT count(*) FROM private.events);`,
  );
  if (Number(stored.trim()) !== records) throw new Error(`COPY stored ${stored.trim()} rows, expected ${records}`);
  rows.push({
    records,
    "RPC ms": rpcBest.toFixed(1),
    "RPC rows/s": Math.round(records / (rpcBest / 1000)).toLocaleString("en-US"),
    "COPY ms": copyBest.toFixed(1),
    "COPY rows/s": Math.round(records / (copyBest / 1000)).toLocaleString("en-US"),
    "RPC/COPY rate": (copyBest / rpcBest).toFixed(2),
  });
}
console.log(`ingest benchmark on PostgreSQL (throwaway cluster), best of ${ROUNDS} rounds, empty tables each round`);
console.table(rows);
console.log(
  `target: the RPC reaches at least 0.50 of COPY's rate on 10,000 records → ${rows.at(-1)!["RPC/COPY rate"]}`,
);
await Deno.remove(dir, { recursive: true });
