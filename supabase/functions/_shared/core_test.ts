import assert from "node:assert/strict";
import {
  default_limits,
  hash_api_key,
  parse_bearer,
  prepare_batch,
  type PreparedBatch,
  type RejectedBatch,
  validate_batch,
} from "./core.ts";
import { base64ToBytes, base64ToBytesViaAtob } from "./base64.ts";
import { wasmBase64 } from "./northstar_core_wasm.js";
import { binaryArray, type ElementType } from "../../../bench/pg_binary.ts";
// Imported, not read: a module import needs no permission, so plain `deno test` runs this.
import exampleAJson from "../../../tests/fixtures/example-a.json" with { type: "json" };
import exampleBJson from "../../../tests/fixtures/example-b.json" with { type: "json" };

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";
const encoder = new TextEncoder();
// Sent as the SDK would, pretty-printed (example A's bytes are the file's, newline aside).
const exampleA = encoder.encode(JSON.stringify(exampleAJson, null, 2));
const exampleB = encoder.encode(JSON.stringify(exampleBJson, null, 2));

function prepared(body: Uint8Array): PreparedBatch {
  const result = prepare_batch(body, PROJECT, undefined);
  if (!result.ok) throw new Error(`expected acceptance: ${JSON.stringify(result)}`);
  return result;
}

function rejected(body: Uint8Array | string, limits?: object): RejectedBatch {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const result = prepare_batch(bytes, PROJECT, limits);
  if (result.ok) throw new Error("expected rejection");
  return result;
}

function withChange(change: (batch: Record<string, any>) => void): Uint8Array {
  const batch = JSON.parse(new TextDecoder().decode(exampleA));
  change(batch);
  return encoder.encode(JSON.stringify(batch));
}

Deno.test("the embedded wasm decodes to the same valid module with atob (older runtimes) as natively", () => {
  assert.equal(typeof Uint8Array.fromBase64, "function", "this Deno has Uint8Array.fromBase64");
  const native = base64ToBytes(wasmBase64);
  const viaAtob = base64ToBytesViaAtob(wasmBase64);
  assert.ok(WebAssembly.validate(viaAtob));
  assert.deepEqual(viaAtob, native);
  // Line breaks are skipped; anything else that is not base64 is an error on both paths.
  assert.deepEqual([...base64ToBytesViaAtob("aGVs\nbG8=")], [...encoder.encode("hello")]);
  assert.deepEqual([...base64ToBytes("aGVs\nbG8=")], [...encoder.encode("hello")]);
  assert.throws(() => base64ToBytesViaAtob("aGVs*bG8="));
  assert.throws(() => base64ToBytes("aGVs*bG8="));
});

Deno.test("hash_api_key gives the contract's test vectors", async () => {
  assert.equal(hash_api_key("test"), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  assert.equal(hash_api_key(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // Non-ASCII keys are hashed as UTF-8, as the SDK sends them: compare with WebCrypto.
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode("ns_é✓")));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(hash_api_key("ns_é✓"), hex);
});

Deno.test("parse_bearer follows upstream's header rule", () => {
  assert.equal(parse_bearer("Bearer ns_abc"), "ns_abc");
  assert.equal(parse_bearer("bearer   ns_abc  "), "ns_abc");
  assert.equal(parse_bearer("Basic abc"), undefined);
  assert.equal(parse_bearer("Bearer    "), undefined);
  assert.equal(parse_bearer(undefined), undefined);
  assert.equal(parse_bearer(null as unknown as undefined), undefined);
});

Deno.test("example A is prepared: project stamped, spans parents-first, counts", () => {
  const p = prepared(exampleA);
  assert.deepEqual(p.counts, { sessions: 1, runs: 1, spans: 3, events: 3, prompt_links: 0, scores: 0 });
  for (const text of [p.sessions, p.runs, p.spans, p.events]) {
    for (const record of JSON.parse(text)) assert.equal(record.project_id, PROJECT);
  }
  const spans = JSON.parse(p.spans);
  assert.equal(spans[0].id, "a1000000-0000-4000-8000-000000000001");
  assert.deepEqual(JSON.parse(p.events)[1].content, { query: "api docs" });
  assert.equal(p.scores, "[]");
});

Deno.test("example B keeps scores and prompt links", () => {
  const p = prepared(exampleB);
  const scores = JSON.parse(p.scores);
  assert.equal(scores.length, 3);
  assert.equal(scores[1].string_value, "excellent");
  assert.deepEqual(JSON.parse(p.prompt_links)[0].variable_values, { doc: "…", max_words: 120 });
});

Deno.test("children sent before parents come out after them", () => {
  const p = prepared(withChange((b) => b.spans.reverse()));
  const ids = JSON.parse(p.spans).map((s: { id: string }) => s.id);
  assert.equal(ids[0], "a1000000-0000-4000-8000-000000000001");
});

Deno.test("bad input gets every violation with its path, and upstream's error text", () => {
  const r = rejected(withChange((b) => {
    b.spans[0].kind = "llm";
    b.events[1].created_at = "2024-02-30T00:00:00Z";
    b.runs[0].project_id = "11111111-2222-4333-8444-555555555555";
  }));
  assert.equal(r.status, 400);
  assert.equal(r.error, "runs[0].project_id does not match the project of the API key");
  assert.deepEqual(r.errors.map((v) => [v.path, v.code]), [
    ["runs[0].project_id", "project_mismatch"],
    ["spans[0].kind", "invalid_enum"],
    ["events[1].created_at", "invalid_timestamp"],
  ]);
  assert.equal(r.total, 3);
  assert.equal(r.truncated, false);
});

Deno.test("body-level failures keep upstream's messages", () => {
  assert.equal(rejected("").error, "Invalid JSON body");
  assert.equal(rejected("[1]").error, "JSON body must be an object");
  assert.equal(rejected('{"schema_version":"2"}').error, "Unsupported schema_version (expected 1 or 2)");
  assert.equal(rejected(new Uint8Array([0x7b, 0xff, 0x7d])).errors[0].code, "invalid_utf8");
  assert.equal(rejected('{"schema_version":2,"spans":{}}').error, "spans must be an array");
});

Deno.test("NUL characters and unpaired surrogates are violations in strict mode, not traps", () => {
  const nul = rejected(
    '{"schema_version":2,"runs":[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",' +
      '"session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"a\\u0000","started_at":"2025-03-01T12:00:00Z","status":"ok"}]}',
    { strict: true },
  );
  assert.deepEqual([nul.errors[0].path, nul.errors[0].code], ["runs[0].name", "nul_character"]);
  const text = new TextDecoder().decode(exampleA).replace('"cli"', '"\\ud800"');
  const lone = rejected(text, { strict: true });
  assert.deepEqual([lone.errors[0].path, lone.errors[0].code], ["sessions[0].metadata", "lone_surrogate"]);
});

Deno.test("limits answer 413 and can be set per call", () => {
  const tooBig = rejected(exampleA, { maxBodyBytes: 100 });
  assert.equal(tooBig.status, 413);
  assert.equal(tooBig.errors[0].code, "body_too_large");
  const tooMany = rejected(exampleA, { maxRecords: 2 });
  assert.equal(tooMany.status, 413);
  assert.match(tooMany.error, /the limit is 2 records/);
  assert.throws(() => prepare_batch(exampleA, PROJECT, { maxDepth: 1 }), /maxDepth/);
  assert.throws(() => prepare_batch(exampleA, PROJECT, { maxRecordz: 1 } as never), /invalid limits/);
  assert.deepEqual(default_limits(), {
    maxBodyBytes: 16777216,
    maxRecords: 100000,
    maxDepth: 128,
    maxViolations: 100,
    maxFieldBytes: 1048576,
    strict: false,
  });
});

Deno.test("a project id that is not a UUID is the caller's bug and throws", () => {
  assert.throws(() => prepare_batch(exampleA, "not-a-uuid", undefined), /project_id must be a UUID/);
});

Deno.test("validate_batch takes strings or bytes and needs no project", () => {
  const text = new TextDecoder().decode(exampleA);
  const fromText = validate_batch(text, undefined);
  const fromBytes = validate_batch(exampleA, undefined);
  assert.deepEqual(fromText, fromBytes);
  assert.equal(fromText.ok, true);
  const bad = validate_batch('{"schema_version":2,"events":[{}]}', undefined);
  assert.equal(bad.ok, false);
  assert.throws(() => validate_batch(42 as never, undefined), /string or a Uint8Array/);
});

Deno.test("arbitrary bytes never trap the module", () => {
  let state = 0x1234567;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0);
  const pieces = [
    '{"schema_version":2,',
    '"spans":[',
    '{"id":',
    '"x"',
    "]",
    "}",
    "\\ud800",
    "\\u0000",
    "null",
    ",",
    ":",
    "[",
    "{",
  ];
  for (let i = 0; i < 3000; i++) {
    const n = next() % 40;
    let s = "";
    for (let k = 0; k < n; k++) s += pieces[next() % pieces.length];
    const bytes = encoder.encode(s);
    if (i % 3 === 0 && bytes.length > 0) bytes[next() % bytes.length] = next() & 0xff;
    const result = prepare_batch(bytes, PROJECT, undefined);
    assert.ok(result.ok || result.errors.length > 0);
  }
  // The module still works after all of that.
  assert.equal(prepared(exampleA).counts.spans, 3);
});

Deno.test("prepare_batch with format rows: the record lists as rows text, the same records as the JSON lists", () => {
  const json = prepared(exampleA);
  const rows = prepare_batch(exampleA, PROJECT, undefined, "rows");
  if (!rows.ok) throw new Error(`expected acceptance: ${JSON.stringify(rows)}`);
  assert.equal(rows.format, "rows");
  assert.equal(json.format, undefined);
  assert.deepEqual(rows.counts, json.counts);
  assert.equal(rows.prompt_links, json.prompt_links);
  assert.equal(rows.scores, json.scores);
  const fields = { sessions: 4, runs: 8, spans: 11, events: 7 } as const;
  for (const [list, count] of Object.entries(fields) as [keyof typeof fields, number][]) {
    const records = JSON.parse(json[list]) as Record<string, unknown>[];
    const text: string = rows[list];
    const lines: string[] = text === "" ? [] : text.split("\n");
    assert.equal(lines.length, records.length, list);
    lines.forEach((line, i) => {
      const cells = line.split("\t");
      assert.equal(cells.length, count, `${list}[${i}]`);
      assert.equal(cells[0], records[i].id, `${list}[${i}].id`);
    });
  }
  // The pretty-printed metadata of example A: whitespace is spaces, the value the same.
  const session = rows.sessions.split("\t");
  assert.deepEqual(JSON.parse(session[3]), JSON.parse(json.sessions)[0].metadata);
  assert.equal(/[\r\n]/.test(session[3]), false);
});

Deno.test("prepare_batch with format binary: one PostgreSQL binary array per field, byte for byte bench/pg_binary.ts's", () => {
  // Compact JSON, so that each JSON value's text is what JSON.stringify writes.
  const body = encoder.encode(JSON.stringify(exampleAJson));
  const json = prepared(body);
  const bin = prepare_batch(body, PROJECT, undefined, "binary");
  if (!bin.ok) throw new Error(`expected acceptance: ${JSON.stringify(bin)}`);
  assert.equal(bin.format, "binary");
  assert.deepEqual(bin.counts, json.counts);
  assert.equal(bin.prompt_links, json.prompt_links);
  assert.equal(bin.scores, json.scores);
  const columns: [string, [string, ElementType][]][] = [
    ["sessions", [["id", "uuid"], ["created_at", "timestamptz"], ["ended_at", "timestamptz"], ["metadata", "jsonb"]]],
    ["runs", [
      ["id", "uuid"],
      ["session_id", "uuid"],
      ["name", "text"],
      ["started_at", "timestamptz"],
      ["ended_at", "timestamptz"],
      ["status", "text"],
      ["error", "jsonb"],
      ["metadata", "jsonb"],
    ]],
    ["spans", [
      ["id", "uuid"],
      ["run_id", "uuid"],
      ["parent_span_id", "uuid"],
      ["kind", "text"],
      ["name", "text"],
      ["started_at", "timestamptz"],
      ["ended_at", "timestamptz"],
      ["status", "text"],
      ["error", "jsonb"],
      ["iteration", "int4"],
      ["attributes", "jsonb"],
    ]],
    ["events", [
      ["id", "uuid"],
      ["run_id", "uuid"],
      ["span_id", "uuid"],
      ["type", "text"],
      ["created_at", "timestamptz"],
      ["content", "jsonb"],
      ["attributes", "jsonb"],
    ]],
  ];
  const cols = bin.columns ?? [];
  assert.equal(cols.length, 30);
  let k = 0;
  for (const [list, fields] of columns) {
    assert.equal((bin as unknown as Record<string, string>)[list], "", `${list}: no text`);
    const records = JSON.parse((json as unknown as Record<string, string>)[list]) as Record<string, unknown>[];
    assert.ok(records.length > 0, `example A has ${list}`);
    for (const [field, type] of fields) {
      const want = binaryArray(type, records.map((r) => r[field]));
      assert.deepEqual(new Uint8Array(cols[k++]), new Uint8Array(want), `${list}.${field}`);
    }
  }
});

Deno.test("prepare_batch refuses an unknown format", () => {
  assert.throws(() => prepare_batch(exampleA, PROJECT, undefined, "csv"), /format must be "json", "rows" or "binary"/);
});
