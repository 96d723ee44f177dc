import assert from "node:assert/strict";
import { hash_api_key, prepare_batch, validate_batch } from "./core.ts";
import { createIngestHandler } from "./ingest.ts";
import { MemoryStore } from "./memory_store.ts";
import { coreLimitsOf, DEFAULT_MAX_BODY_BYTES, transportLimitsOf } from "./repairs.ts";
import { optionsFromEnv } from "./config.ts";
import exampleAJson from "../../../tests/fixtures/example-a.json" with { type: "json" };

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";
const KEY = "ns_test_key_0123456789";
// Imported, not read: a JSON module needs no permission (plain `deno test`).
const exampleText = JSON.stringify(exampleAJson);
const withNul = exampleText.replace('"research-agent"', '"research\\u0000agent"');
const MIB = 1024 * 1024;

Deno.test("the core carries warnings and the rows for the database beside the lists", () => {
  const result = prepare_batch(new TextEncoder().encode(withNul), PROJECT, undefined);
  assert.ok(result.ok);
  assert.deepEqual(result.warnings?.map((w) => [w.path, w.code]), [["runs[0].name", "nul_character"]]);
  assert.equal(result.warnings_total, 1);
  assert.equal(result.warnings_truncated, false);
  const rows = JSON.parse(result.warning_rows!);
  assert.deepEqual(Object.keys(rows[0]), ["path", "code", "message", "kind", "record_id"]);
  assert.equal(rows[0].record_id, "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6");
  assert.equal(JSON.parse(result.runs)[0].name, "research\uFFFDagent");
  const clean = prepare_batch(new TextEncoder().encode(exampleText), PROJECT, undefined);
  assert.ok(clean.ok);
  assert.equal("warnings" in clean, false, "no warning keys when nothing was repaired");
  assert.equal("warning_rows" in clean, false);
});

Deno.test("validate_batch reports the same warnings; strict refuses", () => {
  const result = validate_batch(withNul, undefined);
  assert.ok(result.ok);
  assert.equal(result.warnings?.[0].path, "runs[0].name");
  const strict = validate_batch(withNul, { strict: true });
  assert.equal(strict.ok, false);
});

Deno.test("warnings are capped like errors", () => {
  const names = JSON.parse(exampleText);
  names.spans = Array.from(
    { length: 5 },
    (_, i) => ({ ...names.spans[0], id: crypto.randomUUID(), name: `s\u0000${i}` }),
  );
  const result = prepare_batch(new TextEncoder().encode(JSON.stringify(names)), PROJECT, { maxViolations: 2 });
  assert.ok(result.ok);
  assert.equal(result.warnings?.length, 2);
  assert.equal(result.warnings_total, 5);
  assert.equal(result.warnings_truncated, true);
  assert.equal(JSON.parse(result.warning_rows!).length, 5, "the database gets every warning");
});

Deno.test("limits: 16 MiB by default, the old ones in strict mode, explicit ones win", () => {
  assert.equal(DEFAULT_MAX_BODY_BYTES, 16 * MIB);
  assert.deepEqual(transportLimitsOf({}), { maxBodyBytes: 16 * MIB, maxDecompressedBytes: 16 * MIB });
  assert.deepEqual(transportLimitsOf({ strict: true }), { maxBodyBytes: 10 * MIB, maxDecompressedBytes: 32 * MIB });
  assert.deepEqual(transportLimitsOf({ maxBodyBytes: 20 * MIB }), {
    maxBodyBytes: 20 * MIB,
    maxDecompressedBytes: 20 * MIB,
  });
  assert.deepEqual(coreLimitsOf({ strict: true, maxFieldBytes: 4096 }, { maxDecompressedBytes: 5 }), {
    maxBodyBytes: 5,
    maxRecords: 10_000,
    maxFieldBytes: 4096,
    strict: true,
  });
});

Deno.test("NORTHSTAR_STRICT and NORTHSTAR_MAX_FIELD_BYTES are read from the environment", () => {
  const env = new Map([["NORTHSTAR_STRICT", "1"], ["NORTHSTAR_MAX_FIELD_BYTES", "4096"]]);
  const get = (name: string) => env.get(name);
  const options = optionsFromEnv(get);
  assert.equal(options.strict, true);
  assert.equal(options.maxFieldBytes, 4096);
  env.set("NORTHSTAR_STRICT", "yes");
  assert.throws(() => optionsFromEnv(get), /NORTHSTAR_STRICT must be 1 or 0/);
  env.set("NORTHSTAR_STRICT", "0");
  assert.equal(optionsFromEnv(get).strict, false);
  env.set("NORTHSTAR_MAX_FIELD_BYTES", "-3");
  assert.throws(() => optionsFromEnv(get), /NORTHSTAR_MAX_FIELD_BYTES must be a positive integer/);
});

Deno.test("the handler answers 200 with the warnings, logs their count, and hands the rows to the store", async () => {
  const store = new MemoryStore();
  store.keys.set(hash_api_key(KEY), PROJECT);
  const lines: Record<string, unknown>[] = [];
  const handler = createIngestHandler(store, { log: (l) => lines.push(l) });
  const request = (body: string) =>
    new Request("http://localhost/functions/v1/ingest-traces", {
      method: "POST",
      body,
      headers: { authorization: `Bearer ${KEY}` },
    });
  const res = await handler(request(withNul));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["accepted", "counts", "warnings", "warnings_total", "warnings_truncated"]);
  assert.equal(body.warnings[0].code, "nul_character");
  assert.equal(lines[0].warnings, 1);
  assert.ok(store.batches[0].batch.warning_rows);
  const strict = createIngestHandler(store, { log: () => {}, strict: true });
  assert.equal((await strict(request(withNul))).status, 400);
});
