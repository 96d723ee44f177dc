/**
 * OTLP benchmark, in one run: an export of 1,000 GenAI spans (agent → chat → tool traces
 * with messages and usage) timed interleaved as
 *   - V8's `JSON.parse` of the export in OTLP/JSON (the bar to meet),
 *   - `prepare_otlp` in wasm of the same export in protobuf (decode, map, prepare: the six
 *     JSON texts for the database),
 *   - `prepare_otlp` in wasm of the OTLP/JSON text, for reference,
 * each as best / median ms over interleaved rounds; ratios use the bests (see bench.ts).
 *
 * Run: `deno task bench:otlp`.
 */
import { initSync, prepare_otlp } from "../pkg/northstar_core.js";
import { encodeExport, GenAiExportGenerator } from "./otlp_export.ts";

initSync({ module: await Deno.readFile(new URL("../pkg/northstar_core_bg.wasm", import.meta.url)) });

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";
const SPANS = [100, 1_000];

function timeTogether(fns: (() => unknown)[], reps: number, minRounds = 15, minMs = 2000) {
  for (let i = 0; i < 5 * reps; i++) fns.forEach((fn) => fn());
  const times: number[][] = fns.map(() => []);
  const start = performance.now();
  while (times[0].length < minRounds || performance.now() - start < minMs) {
    fns.forEach((fn, k) => {
      const t = performance.now();
      for (let r = 0; r < reps; r++) fn();
      times[k].push((performance.now() - t) / reps);
    });
  }
  return times.map((ts) => {
    ts.sort((a, b) => a - b);
    return { best: ts[0], median: ts[Math.floor(ts.length / 2)] };
  });
}

const ms = (t: { best: number; median: number }) => `${t.best.toFixed(3)} / ${t.median.toFixed(3)}`;
const rows = [];
for (const n of SPANS) {
  const exp = new GenAiExportGenerator(7).export(n);
  const text = JSON.stringify(exp);
  const jsonBytes = new TextEncoder().encode(text);
  const pb = encodeExport(exp);
  const check = prepare_otlp(pb, "application/x-protobuf", PROJECT, undefined);
  if (!check.ok || check.rejected_spans !== 0 || check.counts.spans !== n) {
    throw new Error(`generated export not prepared whole: ${JSON.stringify(check).slice(0, 300)}`);
  }
  (globalThis as { gc?: () => void }).gc?.();
  const [parse, wasmPb, wasmJson] = timeTogether([
    () => JSON.parse(text),
    () => prepare_otlp(pb, "application/x-protobuf", PROJECT, undefined),
    () => prepare_otlp(jsonBytes, "application/json", PROJECT, undefined),
  ], 1);
  rows.push({
    spans: n,
    "protobuf bytes": pb.length,
    "JSON bytes": jsonBytes.length,
    "JSON.parse(OTLP/JSON) ms": ms(parse),
    "wasm prepare_otlp(protobuf) ms": ms(wasmPb),
    "wasm prepare_otlp(JSON) ms": ms(wasmJson),
    "wasm(protobuf)/JSON.parse": (wasmPb.best / parse.best).toFixed(2),
    "wasm(JSON)/JSON.parse": (wasmJson.best / parse.best).toFixed(2),
    "spans/s (protobuf)": Math.round(n / (wasmPb.best / 1000)).toLocaleString("en-US"),
  });
}
console.log(`prepare_otlp benchmark (Deno ${Deno.version.deno}, V8 ${Deno.version.v8}); times are best / median ms`);
console.table(rows);
const worst = Math.max(...rows.map((r) => Number(r["wasm(protobuf)/JSON.parse"])));
console.log(`target: wasm prepare_otlp(protobuf) / JSON.parse(OTLP/JSON) ≤ 1.00 → worst ${worst.toFixed(2)}`);
