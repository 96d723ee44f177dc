// The key cache's rules on a counting in-memory store and a clock the tests move (the
// revocation bound over real HTTP and PostgreSQL is in tests/e2e/key_cache_e2e_test.ts).
import assert from "node:assert/strict";
import { MAX_KEY_CACHE_TTL_MS, withKeyCache } from "./key_cache.ts";
import { MemoryStore } from "./memory_store.ts";

class CountingStore extends MemoryStore {
  lookups = 0;
  override resolveApiKey(keyHash: string): Promise<string | null> {
    this.lookups++;
    return super.resolveApiKey(keyHash);
  }
}

function setUp(options: { maxEntries?: number; ttlMs?: number } = {}) {
  const store = new CountingStore();
  store.keys.set("k1", "project-1");
  let clock = 1_000;
  const cached = withKeyCache(store, { ...options, now: () => clock });
  return { store, cached, advance: (ms: number) => (clock += ms) };
}

Deno.test("a known key is looked up once within the time to live", async () => {
  const { store, cached, advance } = setUp();
  assert.equal(await cached.resolveApiKey("k1"), "project-1");
  advance(MAX_KEY_CACHE_TTL_MS - 1);
  assert.equal(await cached.resolveApiKey("k1"), "project-1");
  assert.equal(store.lookups, 1);
});

Deno.test("a revoked key is refused once the time to live has passed since the lookup began", async () => {
  const { store, cached, advance } = setUp();
  assert.equal(await cached.resolveApiKey("k1"), "project-1");
  store.keys.delete("k1"); // revoked
  advance(MAX_KEY_CACHE_TTL_MS);
  assert.equal(await cached.resolveApiKey("k1"), null);
  assert.equal(store.lookups, 2);
});

Deno.test("unknown keys and failures are not cached", async () => {
  const { store, cached } = setUp();
  assert.equal(await cached.resolveApiKey("nope"), null);
  store.keys.set("nope", "project-2");
  assert.equal(await cached.resolveApiKey("nope"), "project-2");
  store.fail = new Error("down");
  await assert.rejects(cached.resolveApiKey("other"), /down/);
  store.fail = null;
  store.keys.set("other", "project-3");
  assert.equal(await cached.resolveApiKey("other"), "project-3");
  assert.equal(store.lookups, 4);
});

Deno.test("the cache holds at most maxEntries keys, least recently used out first", async () => {
  const { store, cached } = setUp({ maxEntries: 2 });
  store.keys.set("k2", "project-2");
  store.keys.set("k3", "project-3");
  await cached.resolveApiKey("k1");
  await cached.resolveApiKey("k2");
  await cached.resolveApiKey("k1"); // k1 is now the most recently used: k2 goes first
  await cached.resolveApiKey("k3");
  assert.equal(store.lookups, 3);
  await cached.resolveApiKey("k1");
  assert.equal(store.lookups, 3, "k1 kept");
  await cached.resolveApiKey("k2");
  assert.equal(store.lookups, 4, "k2 was dropped");
});

Deno.test("a flood of random keys keeps the cache bounded and never caches them", async () => {
  const { store, cached } = setUp({ maxEntries: 8 });
  for (let i = 0; i < 1_000; i++) assert.equal(await cached.resolveApiKey(crypto.randomUUID()), null);
  assert.equal(await cached.resolveApiKey("k1"), "project-1");
  assert.equal(await cached.resolveApiKey("k1"), "project-1");
  assert.equal(store.lookups, 1_001);
});

Deno.test("concurrent lookups of one key share one call", async () => {
  const { store, cached } = setUp();
  const answers = await Promise.all(Array.from({ length: 8 }, () => cached.resolveApiKey("k1")));
  assert.deepEqual(answers, Array(8).fill("project-1"));
  assert.equal(store.lookups, 1);
});

Deno.test("the store's other methods and fields pass through; the bound cannot be raised", async () => {
  const { store, cached } = setUp();
  await cached.ingest("project-1", { counts: {} } as never);
  assert.equal(store.batches.length, 1);
  assert.equal(cached.keys, store.keys);
  assert.throws(() => withKeyCache(store, { ttlMs: MAX_KEY_CACHE_TTL_MS + 1 }), RangeError);
  assert.throws(() => withKeyCache(store, { maxEntries: 0 }), RangeError);
  assert.equal(withKeyCache(store, { ttlMs: 0 }), store, "0 turns the cache off");
});
