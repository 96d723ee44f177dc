import assert from "node:assert/strict";
// The Edge Functions' loader: the wasm comes from a module import, so no permission is needed.
import { prepare_otlp } from "../supabase/functions/_shared/core.ts";
import { encodeExport, GenAiExportGenerator } from "./otlp_export.ts";

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";

Deno.test("prepare_otlp: a protobuf export encoded in TypeScript prepares the same batch as its OTLP/JSON", () => {
  const exp = new GenAiExportGenerator(3).export(31);
  const fromPb = prepare_otlp(encodeExport(exp), "application/x-protobuf", PROJECT, undefined);
  const fromJson = prepare_otlp(new TextEncoder().encode(JSON.stringify(exp)), "application/json", PROJECT, undefined);
  assert.ok(fromPb.ok && fromJson.ok);
  assert.deepEqual(fromPb, fromJson);
  assert.equal(fromPb.spans_received, 31);
  assert.equal(fromPb.rejected_spans, 0);
  assert.equal(fromPb.counts.spans, 31);
  // 31 spans = 10 whole traces and one without its root: 11 runs, one provisional.
  const runs = JSON.parse(fromPb.trace_runs);
  assert.equal(runs.length, 11);
  assert.equal(runs.filter((r: { has_root: boolean }) => !r.has_root).length, 1);
  const spans = JSON.parse(fromPb.spans);
  const chat = spans.find((s: { kind: string }) => s.kind === "model");
  assert.equal(chat.attributes.model, "gpt-4o-2024-08-06");
  assert.equal(typeof chat.attributes.input_tokens, "number");
});

Deno.test("prepare_otlp: unreadable bodies and other content types are refused", () => {
  const bad = prepare_otlp(new Uint8Array([0x0a, 0xff]), "application/x-protobuf", PROJECT, undefined);
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.status, 400);
  const other = prepare_otlp(new Uint8Array(), "text/plain", PROJECT, undefined);
  assert.equal(!other.ok && other.status, 415);
});
