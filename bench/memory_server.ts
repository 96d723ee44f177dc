/**
 * One ingest request in a fresh process, for `bench/memory.ts`: serves the real handler
 * (wasm core + PostgreSQL store) on 127.0.0.1, prints its port, answers POSTs, and on
 * `GET /__memory` answers the process's peak resident memory (VmHWM from
 * /proc/self/status) with `Deno.memoryUsage()`, then exits.
 *
 * @module
 */
import { createIngestHandler } from "../supabase/functions/_shared/ingest.ts";
import { createPgStore } from "../supabase/functions/_shared/pg_store.ts";

const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
const store = createPgStore(url);
// Limits far above any size measured: the benchmark measures memory, not refusals.
const ingest = createIngestHandler(store, {
  log: () => {},
  maxBodyBytes: 512 * 1024 * 1024,
  maxDecompressedBytes: 512 * 1024 * 1024,
  maxRecords: 100_000,
});

function statusKb(field: string): number {
  const line = Deno.readTextFileSync("/proc/self/status").split("\n").find((l) => l.startsWith(field + ":"));
  return Number(line?.split(/\s+/)[1] ?? NaN);
}

const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) }, (req) => {
  if (new URL(req.url).pathname === "/__memory") {
    const body = { vmhwm_kb: statusKb("VmHWM"), vmrss_kb: statusKb("VmRSS"), usage: Deno.memoryUsage() };
    setTimeout(async () => {
      await store.close();
      await server.shutdown();
    }, 10);
    return Response.json(body);
  }
  return ingest(req);
});
