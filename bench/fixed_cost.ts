/**
 * The fixed cost of one ingest request at the store (part of `deno task bench:e2e`): each
 * tree's own `pg_store.ts` on its own database, same batches, interleaved.
 *
 * - Round trips: the store talks to PostgreSQL through a counting TCP proxy; a round trip is
 *   each time the client speaks again after the server answered.
 * - The fixed cost of a 10-record request on a warm connection: key lookup + ingest, median.
 * - The first request on a new connection (a new store), and where it goes: connecting, the
 *   driver's type query, the first call of the ingest function on a fresh backend.
 *
 *   deno run -A bench/fixed_cost.ts --new-db URL [--base-db URL --base-tree DIR]
 *
 * @module
 */
import postgres from "npm:postgres@3.4.9";
import { hash_api_key, prepare_batch } from "../supabase/functions/_shared/core.ts";
import type { PreparedBatch } from "../supabase/functions/_shared/core.ts";
import type { Store } from "../supabase/functions/_shared/store.ts";
import { countingProxy } from "../tests/e2e/lib/counting_proxy.ts";
import { BatchGenerator } from "./sdk_batch.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

function parseArgs(argv: string[]) {
  const out: { newDb?: string; baseDb?: string; baseTree?: string } = {};
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1];
    if (argv[i] === "--new-db") out.newDb = v;
    else if (argv[i] === "--base-db") out.baseDb = v;
    else if (argv[i] === "--base-tree") out.baseTree = v;
    else if (argv[i] === "--quick" || argv[i] === "--no-pglite") i--;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!out.newDb) throw new Error("--new-db URL is required");
  return out;
}

interface Tree {
  name: "new" | "base";
  dir: string;
  db: string;
  project: string;
  key: string;
  createPgStore: (url: string, options?: object) => Store & { close(): Promise<void>; warmUp?: () => Promise<void> };
  withKeyCache?: (store: Store) => Store;
}

async function setUp(name: Tree["name"], dir: string, db: string): Promise<Tree> {
  const { migrate, postgresMigrationDb } = await import(`file://${dir}/scripts/lib/migrate.ts`);
  const { createPgStore } = await import(`file://${dir}/supabase/functions/_shared/pg_store.ts`);
  let withKeyCache;
  try {
    ({ withKeyCache } = await import(`file://${dir}/supabase/functions/_shared/key_cache.ts`));
  } catch { /* an older tree has none */ }
  const sql = postgres(db, { onnotice: () => {}, max: 1 });
  await migrate(postgresMigrationDb(sql));
  const project = crypto.randomUUID();
  const key = `ns_bench_${crypto.randomUUID()}`;
  await sql`SELECT public.create_or_rotate_project_api_key(${project}::uuid, 'bench', gen_random_uuid(),
    ${hash_api_key(key)})`;
  await sql.end();
  return { name, dir, db, project, key, createPgStore, withKeyCache };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const templates = new Map<number, string>();
for (const records of [10, 50]) {
  // batchOfRecords fails for some seeds: try the next.
  for (let seed = 1; !templates.has(records) && seed < 100; seed++) {
    try {
      templates.set(records, JSON.stringify(new BatchGenerator(seed).batchOfRecords(records)));
    } catch { /* next seed */ }
  }
}

/** A 10-record SDK batch with fresh ids (optionally one more record: a score on its run). */
function batch10(project: string, withScore = false, records = 10): PreparedBatch {
  const ids = new Map<string, string>();
  const text = templates.get(records)!.replace(
    UUID,
    (id) => ids.get(id) ?? (ids.set(id, crypto.randomUUID()), ids.get(id)!),
  );
  const body = JSON.parse(text);
  if (withScore) {
    body.scores = [{
      id: crypto.randomUUID(),
      trace_id: body.runs[0].id,
      name: "q",
      value: 1,
      data_type: "numeric",
      source: "api",
      created_at: "2025-03-01T12:05:00.000000Z",
    }];
  }
  const prepared = prepare_batch(new TextEncoder().encode(JSON.stringify(body)), project, undefined);
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors));
  return prepared;
}

async function request(store: Store, tree: Tree, batch: PreparedBatch): Promise<number> {
  const t0 = performance.now();
  const project = await store.resolveApiKey(hash_api_key(tree.key));
  if (project !== tree.project) throw new Error(`${tree.name}: the key did not resolve`);
  await store.ingest(project, batch);
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main() {
  const args = parseArgs(Deno.args);
  const trees = [await setUp("new", ROOT, args.newDb!)];
  if (args.baseTree && args.baseDb) trees.push(await setUp("base", args.baseTree, args.baseDb));

  console.log("\nfixed cost of one ingest request at the store (each tree's pg_store.ts, its own database)");
  // Round trips on a warm connection, through the counting proxy.
  for (const tree of trees) {
    const proxy = countingProxy(new URL(tree.db));
    const store = tree.createPgStore(proxy.url, { maxConnections: 1 });
    await request(store, tree, batch10(tree.project));
    proxy.take();
    await request(store, tree, batch10(tree.project));
    const plain = proxy.take();
    await request(store, tree, batch10(tree.project, true));
    const scored = proxy.take();
    let cached = "";
    if (tree.withKeyCache) {
      const withCache = tree.withKeyCache(store);
      await request(withCache, tree, batch10(tree.project));
      proxy.take();
      await request(withCache, tree, batch10(tree.project, true));
      cached = `; ${proxy.take()} with the key cached`;
    }
    const fresh = tree.createPgStore(proxy.url, { maxConnections: 1 });
    proxy.take();
    await request(fresh, tree, batch10(tree.project));
    const first = proxy.take();
    console.log(
      `  ${tree.name}: round trips per request ${plain} (10 records), ${scored} (10 records + a score)${cached};` +
        ` ${first} for the first request on a new connection (connection set-up included)`,
    );
    await fresh.close();
    await store.close();
    proxy.close();
  }

  // The fixed cost of a 10-record request on a warm connection, interleaved.
  const warm = new Map<string, number[]>();
  const stores = trees.map((t) => ({ tree: t, store: t.createPgStore(t.db, { maxConnections: 1 }) }));
  const cachedStores = trees.filter((t) => t.withKeyCache).map((t) => ({
    tree: t,
    store: t.withKeyCache!(t.createPgStore(t.db, { maxConnections: 1 })),
  }));
  const all = [
    ...stores.map((s) => ({ ...s, label: s.tree.name })),
    ...cachedStores.map((s) => ({ ...s, label: `${s.tree.name} + key cache` })),
  ];
  for (const s of all) for (let i = 0; i < 5; i++) await request(s.store, s.tree, batch10(s.tree.project));
  // Many short requests, the order turning each time, so the shared machine's load falls on all alike.
  for (const [records, times] of [[10, 150], [50, 60]]) {
    warm.clear();
    for (let i = 0; i < times; i++) {
      for (let j = 0; j < all.length; j++) {
        const s = all[(i + j) % all.length];
        const batch = batch10(s.tree.project, false, records);
        const list = warm.get(s.label) ?? [];
        list.push(await request(s.store, s.tree, batch));
        warm.set(s.label, list);
      }
    }
    const base = warm.get("base");
    console.log(
      `  a ${records}-record request on a warm connection (key lookup + ingest, median of ${times}): ${
        [...warm].map(([label, xs]) =>
          `${label} ${ms(median(xs))}${
            base && label !== "base" ? ` (base/this ${(median(base) / median(xs)).toFixed(2)}×)` : ""
          }`
        ).join(", ")
      }`,
    );
  }
  for (const s of all) await (s.store as unknown as { close(): Promise<void> }).close();

  // The first request on a new connection, and where it goes.
  const firsts = new Map<string, number[]>();
  const note = (label: string, x: number) => firsts.set(label, [...(firsts.get(label) ?? []), x]);
  for (let i = 0; i < 5; i++) {
    for (const tree of trees) {
      let store = tree.createPgStore(tree.db, {});
      note(`${tree.name}: first request`, await request(store, tree, batch10(tree.project)));
      note(`${tree.name}: second request`, await request(store, tree, batch10(tree.project)));
      await store.close();
      if (store.warmUp) {
        store = tree.createPgStore(tree.db, {});
        const t0 = performance.now();
        await store.warmUp!();
        note(`${tree.name}: warm-up at start`, performance.now() - t0);
        note(`${tree.name}: first request after the warm-up`, await request(store, tree, batch10(tree.project)));
        await store.close();
      }
      // The parts: a connection (with and without the driver's type query) and the first
      // call of the ingest function on a fresh backend against the second.
      for (const fetchTypes of [true, false]) {
        const sql = postgres(tree.db, { prepare: false, max: 1, fetch_types: fetchTypes, onnotice: () => {} });
        const t0 = performance.now();
        await sql`SELECT 1`;
        note(`connect + SELECT 1, fetch_types ${fetchTypes}`, performance.now() - t0);
        if (!fetchTypes) {
          const call = (b = batch10(tree.project)) =>
            sql`SELECT private.ingest_batch_with_prompt_links(${tree.project}::uuid, ${b.sessions}::text::jsonb,
            ${b.runs}::text::jsonb, ${b.spans}::text::jsonb, ${b.events}::text::jsonb, '[]'::jsonb)`;
          let t1 = performance.now();
          await call();
          note(`${tree.name}: ingest function, first call on a fresh backend`, performance.now() - t1);
          t1 = performance.now();
          await call();
          note(`${tree.name}: ingest function, second call (another batch)`, performance.now() - t1);
        }
        await sql.end();
      }
    }
  }
  console.log("  the first request on a new connection (median of 5, interleaved):");
  for (const [label, xs] of firsts) console.log(`    ${label}: ${ms(median(xs))}`);
}

await main();
