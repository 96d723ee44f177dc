import assert from "node:assert/strict";
import { hash_api_key } from "./core.ts";
import { MemoryStore } from "./memory_store.ts";
import { createPromptsHandler } from "./prompts.ts";

const PROJECT = "7b897f13-dad3-41d8-945b-94358423ab85";
const KEY = "ns_prompt_key";
const RESOLVE = "http://localhost/functions/v1/prompts/resolve";

function setup() {
  const store = new MemoryStore();
  store.keys.set(hash_api_key(KEY), PROJECT);
  const base = {
    prompt_id: "7b897f13-dad3-41d8-945b-94358423ab00",
    content: "Summarize {{ doc }} in {max_words} words.",
    model: "gpt-4o-mini",
    temperature: 0.2,
    max_tokens: 256,
    variables: [],
    content_hash: "sha256:" + "0".repeat(64),
    project_id: PROJECT,
    slug: "summarizer",
  };
  store.prompts.push({ ...base, id: "c0ffee00-1111-4222-8333-444455556666", version_number: 3, labels: {} });
  store.prompts.push({
    ...base,
    id: "c0ffee00-1111-4222-8333-444455556667",
    version_number: 4,
    labels: { prod: "c0ffee00-1111-4222-8333-444455556667" },
  });
  return { store, handler: createPromptsHandler(store, { log: () => {} }) };
}

const ask = (body: unknown, url = RESOLVE) =>
  new Request(url, { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${KEY}` } });

Deno.test("resolve by label (default prod) and by version; null version means absent", async () => {
  const { handler } = setup();
  let res = await handler(ask({ name: "summarizer", slug: "summarizer", label: "prod", version: null }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.prompt_version.version_number, 4);
  assert.deepEqual(Object.keys(body.prompt_version).sort(), [
    "content",
    "content_hash",
    "id",
    "max_tokens",
    "model",
    "prompt_id",
    "temperature",
    "variables",
    "version_number",
  ]);
  res = await handler(ask({ slug: "summarizer", version: 3 }));
  assert.equal((await res.json()).prompt_version.version_number, 3);
  res = await handler(ask({ name: " summarizer ", label: "  " }));
  assert.equal((await res.json()).prompt_version.version_number, 4, "name stands in for slug; blank label is prod");
});

Deno.test("prompts: 404s, 400s and the common HTTP rules", async () => {
  const { handler } = setup();
  assert.equal((await handler(ask({ slug: "summarizer" }, "http://localhost/functions/v1/prompts/other"))).status, 404);
  let res = await handler(ask({ slug: "nope" }));
  assert.equal(res.status, 404);
  assert.deepEqual(await res.json(), { error: "Prompt not found" });
  res = await handler(ask({ slug: " ", name: "" }));
  assert.deepEqual([res.status, (await res.json()).error], [400, "slug is required"]);
  res = await handler(ask({ slug: "summarizer", version: "3" }));
  assert.deepEqual([res.status, (await res.json()).error], [400, "version must be an integer"]);
  res = await handler(ask([1]));
  assert.deepEqual([res.status, (await res.json()).error], [400, "JSON body must be an object"]);
  res = await handler(new Request(RESOLVE, { method: "POST", body: "{", headers: { authorization: `Bearer ${KEY}` } }));
  assert.deepEqual([res.status, (await res.json()).error], [400, "Invalid JSON body"]);
  res = await handler(new Request(RESOLVE, { method: "POST", body: "{}" }));
  assert.equal(res.status, 401);
  await res.body?.cancel();
  assert.equal((await handler(new Request(RESOLVE, { method: "OPTIONS" }))).status, 204);
  res = await handler(new Request(RESOLVE, { method: "PUT" }));
  assert.equal(res.status, 405);
  await res.body?.cancel();
});

Deno.test("slug and label: NUL, lone surrogates and over-long values → 400 naming the field", async () => {
  const { handler } = setup();
  const raw = (text: string) =>
    handler(new Request(RESOLVE, { method: "POST", body: text, headers: { authorization: `Bearer ${KEY}` } }));
  const cases: [string, string, string][] = [
    [`{"slug":"sum\\u0000marizer"}`, "slug", "nul_character"],
    [`{"name":"\\u0000"}`, "name", "nul_character"],
    [`{"slug":"summarizer","label":"\\ud800"}`, "label", "lone_surrogate"],
    [`{"slug":"a\\udfffb"}`, "slug", "lone_surrogate"],
    [JSON.stringify({ slug: "x".repeat(201) }), "slug", "too_long"],
    [JSON.stringify({ slug: "summarizer", label: "😀".repeat(201) }), "label", "too_long"],
  ];
  for (const [text, path, code] of cases) {
    const res = await raw(text);
    const body = await res.json();
    assert.equal(res.status, 400, text);
    assert.deepEqual([body.errors[0].path, body.errors[0].code], [path, code], text);
    assert.equal(body.error, body.errors[0].message);
  }
  // 200 characters (code points, so 400 UTF-16 units here) is allowed.
  assert.equal((await raw(JSON.stringify({ slug: "😀".repeat(200) }))).status, 404);
});

Deno.test("a body over 64 KiB is refused 413 while streaming, before it ends", async () => {
  const { handler } = setup();
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
    },
  });
  const res = await handler(
    new Request(RESOLVE, { method: "POST", body: endless, headers: { authorization: `Bearer ${KEY}` } }),
  );
  assert.equal(res.status, 413);
  assert.ok(pulled < 10, `${pulled} chunks pulled`);
});
