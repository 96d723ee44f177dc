/**
 * Throughput of the local server's HTTP/1.1 front against `Deno.serve`, with the real
 * ingest handler on an in-memory store (so the HTTP layer and the wasm core are what is
 * timed): 8 concurrent keep-alive clients, small (example A) and ~1 MB bodies, the two
 * servers interleaved round by round; prints requests/s of each and their ratio.
 *
 *   deno run -A scripts/lib/bench_http1.ts [rounds=5] [requests per round=200]
 *
 * @module
 */
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { createIngestHandler } from "../../supabase/functions/_shared/ingest.ts";
import { MemoryStore } from "../../supabase/functions/_shared/memory_store.ts";
import { serveHttp1 } from "./http1_server.ts";

const rounds = Number(Deno.args[0] ?? 5);
const perRound = Number(Deno.args[1] ?? 200);
const store = new MemoryStore();
store.keys.set(hash_api_key("ns_bench"), "7b897f13-dad3-41d8-945b-94358423ab85");
const handler = createIngestHandler(store, { log: () => {} });
const small = await Deno.readFile(new URL("../../tests/fixtures/example-a.json", import.meta.url));
const example = JSON.parse(new TextDecoder().decode(small));
const events = Array.from({ length: 2500 }, (_, i) => ({
  ...example.events[0],
  id: crypto.randomUUID(),
  content: "x".repeat(300) + i,
}));
const large = new TextEncoder().encode(JSON.stringify({ ...example, events: [...example.events, ...events] }));

const denoServer = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
  store.batches.length = 0;
  return handler(req);
});
const ownServer = serveHttp1({ hostname: "127.0.0.1", port: 0 }, (req) => {
  store.batches.length = 0;
  return handler(req);
});

async function load(port: number, body: Uint8Array, requests: number): Promise<number> {
  let left = requests;
  const started = performance.now();
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (left-- > 0) {
      const res = await fetch(`http://127.0.0.1:${port}/functions/v1/ingest-traces`, {
        method: "POST",
        headers: { authorization: "Bearer ns_bench" },
        body: body as BodyInit,
      });
      if (res.status !== 200) throw new Error(`${res.status} ${await res.text()}`);
      await res.body?.cancel();
    }
  }));
  return requests / ((performance.now() - started) / 1000);
}

for (const [name, body, n] of [["example A", small, perRound], ["1 MB", large, perRound / 10]] as const) {
  const rates: Record<string, number[]> = { "Deno.serve": [], http1_server: [] };
  await load(denoServer.addr.port, body, n); // warm-up
  await load(ownServer.addr.port, body, n);
  for (let r = 0; r < rounds; r++) {
    rates["Deno.serve"].push(await load(denoServer.addr.port, body, n));
    rates.http1_server.push(await load(ownServer.addr.port, body, n));
  }
  const best = (xs: number[]) => Math.max(...xs);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const d = rates["Deno.serve"];
  const o = rates.http1_server;
  console.log(
    `${name} (${body.length} B): Deno.serve ${best(d).toFixed(0)}/${median(d).toFixed(0)} req/s, ` +
      `http1_server ${best(o).toFixed(0)}/${median(o).toFixed(0)} req/s (best/median); ` +
      `ratio http1_server/Deno.serve ${(best(o) / best(d)).toFixed(2)} (best), ${
        (median(o) / median(d)).toFixed(2)
      } (median)`,
  );
}
await denoServer.shutdown();
await ownServer.shutdown();
