import assert from "node:assert/strict";
import { hash_api_key } from "./core.ts";
import { createIngestHandler, MESSAGES } from "./ingest.ts";
import { MemoryStore } from "./memory_store.ts";
import { StoreError } from "./store.ts";
// Imported, not read: a module import needs no permission, so plain `deno test` runs this.
import exampleAJson from "../../../tests/fixtures/example-a.json" with { type: "json" };

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";
const KEY = "ns_test_key_0123456789";
const URL_ = "http://localhost/functions/v1/ingest-traces";
const exampleA = new TextEncoder().encode(JSON.stringify(exampleAJson, null, 2));

function setup(options = {}) {
  const store = new MemoryStore();
  store.keys.set(hash_api_key(KEY), PROJECT);
  const lines: Record<string, unknown>[] = [];
  const handler = createIngestHandler(store, { log: (l) => lines.push(l), ...options });
  return { store, lines, handler };
}

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: "POST", body, headers: { authorization: `Bearer ${KEY}`, ...headers } });
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(
    await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

Deno.test("OPTIONS answers 204 with CORS headers and no body", async () => {
  const res = await setup().handler(new Request(URL_, { method: "OPTIONS" }));
  assert.equal(res.status, 204);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
  assert.equal(res.headers.get("access-control-allow-methods"), "POST, OPTIONS");
  assert.equal(res.headers.get("content-type"), null);
  assert.equal(await res.text(), "");
});

Deno.test("an allow-list of origins replaces the wildcard", async () => {
  const { handler } = setup({ allowedOrigins: ["https://app.example.com"] });
  const ok = await handler(new Request(URL_, { method: "OPTIONS", headers: { origin: "https://app.example.com" } }));
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example.com");
  const other = await handler(new Request(URL_, { method: "OPTIONS", headers: { origin: "https://evil.example" } }));
  assert.equal(other.headers.get("access-control-allow-origin"), null);
});

Deno.test("methods other than POST get 405, before auth", async () => {
  const res = await setup().handler(new Request(URL_, { method: "GET" }));
  assert.equal(res.status, 405);
  assert.deepEqual(await res.json(), { error: MESSAGES.method });
  assert.equal(res.headers.get("content-type"), "application/json");
});

Deno.test("auth: a missing or malformed header, an unknown key → 401 with upstream's texts", async () => {
  const { handler } = setup();
  const headerSets: Record<string, string>[] = [{}, { authorization: "Basic abc" }, { authorization: "Bearer   " }];
  for (const headers of headerSets) {
    const res = await handler(new Request(URL_, { method: "POST", body: exampleA, headers }));
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: MESSAGES.missingAuth });
  }
  const res = await handler(
    new Request(URL_, { method: "POST", body: "{", headers: { authorization: "bearer nope" } }),
  );
  assert.equal(res.status, 401);
  assert.deepEqual(await res.json(), { error: MESSAGES.badKey }, "a bad key wins over a bad body");
});

Deno.test("a valid batch is prepared for the key's project and stored; 200 carries counts", async () => {
  const { handler, store, lines } = setup();
  const res = await handler(post(exampleA));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {
    accepted: true,
    counts: { sessions: 1, runs: 1, spans: 3, events: 3, prompt_links: 0, scores: 0 },
  });
  assert.equal(store.batches.length, 1);
  assert.equal(store.batches[0].projectId, PROJECT);
  assert.equal(JSON.parse(store.batches[0].batch.spans)[0].project_id, PROJECT);
  const line = JSON.stringify(lines);
  assert.ok(!line.includes(KEY) && !line.includes("research-agent"), "logs hold no key and no payload content");
  assert.equal(lines[0].status, 200);
  assert.equal(lines[0].project, PROJECT);
  assert.equal(lines[0].bytes, exampleA.length);
});

Deno.test("bad input: 400 with upstream's error and every violation; nothing stored", async () => {
  const { handler, store } = setup();
  const invalid = await handler(post("{"));
  assert.equal(invalid.status, 400);
  assert.equal((await invalid.json()).error, "Invalid JSON body");
  const res = await handler(post(JSON.stringify({ schema_version: 2, spans: [{ id: "x" }] })));
  const body = await res.json();
  assert.equal(res.status, 400);
  assert.equal(body.error, "spans[0].id is not a valid UUID");
  assert.ok(body.errors.length > 3);
  assert.equal(body.errors[1].path, "spans[0].run_id");
  assert.equal(store.batches.length, 0);
});

Deno.test("size limits: declared or streamed, raw or gzip-bombed → 413", async () => {
  const { handler, store } = setup({ maxBodyBytes: 2000, maxDecompressedBytes: 4000 });
  const big = new Uint8Array(5000).fill(32);
  const declared = await handler(post(big, { "content-length": "5000" }));
  assert.equal(declared.status, 413);
  assert.match((await declared.json()).error, /limit of 2000 bytes/);
  const streamed = await handler(post(new Blob([big]).stream()));
  assert.equal(streamed.status, 413);
  const bomb = await gzip(new Uint8Array(1_000_000).fill(32));
  assert.ok(bomb.length < 2000, "a small compressed body");
  const res = await handler(post(bomb, { "content-encoding": "gzip" }));
  assert.equal(res.status, 413);
  assert.match((await res.json()).error, /decompressed body exceeds the limit of 4000 bytes/);
  assert.equal(store.batches.length, 0);
});

Deno.test("gzip bodies are accepted; other encodings are 415; broken gzip is 400", async () => {
  const { handler, store } = setup();
  const res = await handler(post(await gzip(exampleA), { "content-encoding": "gzip" }));
  assert.equal(res.status, 200);
  assert.equal(store.batches.length, 1);
  assert.equal((await handler(post(exampleA, { "content-encoding": "br" }))).status, 415);
  assert.equal((await handler(post(exampleA, { "content-encoding": "gzip" }))).status, 400);
});

Deno.test("database failures: refused data 400, unreachable 503 with Retry-After, else 500", async () => {
  const { handler, store } = setup({ retryAfterSeconds: 7 });
  store.fail = new StoreError("client", "run 5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 not found for project");
  let res = await handler(post(exampleA));
  assert.equal(res.status, 400);
  const body = await res.json();
  assert.equal(body.error, MESSAGES.references);
  assert.match(body.errors[0].message, /not found for project/);
  store.fail = new StoreError("client", "parent span x of span y belongs to a different run");
  res = await handler(post(exampleA));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error, "parent span x of span y belongs to a different run");
  store.fail = new StoreError("unavailable", "connect ECONNREFUSED");
  res = await handler(post(exampleA));
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "7");
  await res.body?.cancel();
  store.fail = new Error("boom");
  res = await handler(post(exampleA));
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: MESSAGES.internal });
});

Deno.test("an unexpected exception becomes a logged JSON 500, never the runtime's plain text", async () => {
  const { store, lines, handler } = setup();
  // A store that hands back a project id the core refuses to stamp: prepare_batch throws.
  store.keys.set(hash_api_key(KEY), "not-a-uuid");
  const res = await handler(post(exampleA));
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), { error: MESSAGES.internal });
  assert.equal(lines.length, 1);
  assert.equal(lines[0].status, 500);
  assert.match(String(lines[0].error), /./);
});

Deno.test("a body that stops arriving gets 408 at the read deadline; one that breaks off gets 400", async () => {
  const { handler } = setup({ readTimeoutMs: 200 });
  const stalled = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("{"));
    },
  });
  const started = performance.now();
  const res = await handler(post(stalled));
  const ms = performance.now() - started;
  assert.equal(res.status, 408);
  assert.match((await res.json()).error, /Request timeout/);
  assert.ok(ms >= 190 && ms < 1500, `${ms} ms`);

  const broken = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("{"));
      controller.error(new Error("connection reset"));
    },
  });
  const res2 = await handler(post(broken));
  assert.deepEqual([res2.status, (await res2.json()).error], [400, "Incomplete request body"]);
});

const OTLP_URL = `${URL_}/v1/traces`;
/** A one-span OTLP/JSON export (a root span of a trace). */
const otlpJson = JSON.stringify({
  resourceSpans: [{
    resource: { attributes: [] },
    scopeSpans: [{
      scope: { name: "t" },
      spans: [{
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        name: "root",
        kind: 1,
        startTimeUnixNano: "1767225600000000000",
        endTimeUnixNano: "1767225601000000000",
      }],
    }],
  }],
});

function postOtlp(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(OTLP_URL, { method: "POST", body, headers: { authorization: `Bearer ${KEY}`, ...headers } });
}

Deno.test("OTLP: …/ingest-traces/v1/traces takes OTLP/JSON, stores it with ingestOtlp, answers {}", async () => {
  const { handler, store, lines } = setup();
  const res = await handler(postOtlp(otlpJson, { "content-type": "application/json" }));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.deepEqual(await res.json(), {});
  assert.equal(store.batches.length, 0, "not the native write");
  assert.equal(store.otlpExports.length, 1);
  assert.equal(store.otlpExports[0].prepared.counts.spans, 1);
  assert.deepEqual(JSON.parse(store.otlpExports[0].prepared.trace_runs).map((r: { has_root: boolean }) => r.has_root), [
    true,
  ]);
  assert.equal(lines.at(-1)?.otlp, "json");
});

Deno.test("OTLP: another content type is 415 before the body is read; no auth is 401", async () => {
  const { handler, store } = setup();
  const res = await handler(postOtlp(otlpJson, { "content-type": "text/plain" }));
  assert.equal(res.status, 415);
  // Every 4xx/5xx body of the OTLP route is a google.rpc.Status (here OTLP/JSON: {code, message}).
  const status = await res.json();
  assert.equal(status.code, 3);
  assert.match(status.message, /^Unsupported content type "text\/plain"/);
  const anonymous = await handler(new Request(OTLP_URL, { method: "POST", body: otlpJson }));
  assert.equal(anonymous.status, 401);
  assert.deepEqual(await anonymous.json(), { code: 16, message: MESSAGES.missingAuth });
  assert.equal(store.otlpExports.length, 0);
});

Deno.test("OTLP: a refused protobuf export is answered with a protobuf google.rpc.Status", async () => {
  const { handler } = setup();
  const res = await handler(postOtlp(new Uint8Array([0xff, 0xff, 0xff]), { "content-type": "application/x-protobuf" }));
  assert.equal(res.status, 400);
  assert.equal(res.headers.get("content-type"), "application/x-protobuf");
  const bytes = new Uint8Array(await res.arrayBuffer());
  // field 1 (code) varint 3, then field 2 (message): its length, then the UTF-8 text.
  assert.deepEqual([...bytes.subarray(0, 3)], [0x08, 3, 0x12]);
  const text = new TextDecoder().decode(bytes.subarray(4));
  assert.equal(bytes[3], new TextEncoder().encode(text).length);
  assert.match(text, /protobuf/i);
});

Deno.test("OTLP: an unavailable store is 503 with Retry-After (OTLP clients retry it)", async () => {
  const { handler, store } = setup();
  // The key lookup works; the OTLP write finds the database down.
  store.ingestOtlp = () => Promise.reject(new StoreError("unavailable", "connect ECONNREFUSED"));
  const res = await handler(postOtlp(otlpJson, { "content-type": "application/json" }));
  assert.equal(res.status, 503);
  assert.ok(res.headers.get("retry-after"));
  await res.body?.cancel();
});

Deno.test("OTLP: only the exact suffix is the OTLP route; other paths keep the native batch", async () => {
  const { handler, store } = setup();
  const res = await handler(
    new Request(`${URL_}/v1/traces/extra`, {
      method: "POST",
      body: exampleA,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    }),
  );
  assert.equal(res.status, 200);
  await res.body?.cancel();
  assert.equal(store.batches.length, 1);
  assert.equal(store.otlpExports.length, 0);
});
