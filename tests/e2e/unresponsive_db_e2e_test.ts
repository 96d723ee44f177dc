// A database host that accepts connections but never answers (a hung server, a black-holed
// network): 20 concurrent calls through the deployed store (createResilientPgStore) are all
// refused as unavailable within about the connect timeout; the bare store (npm:pg's pool,
// no circuit breaker) is printed beside it.
import assert from "node:assert/strict";
import { createResilientPgStore } from "../../supabase/functions/_shared/pg_resilient.ts";
import { createPgStore } from "../../supabase/functions/_shared/pg_store.ts";
import { StoreError } from "../../supabase/functions/_shared/store.ts";
import { requirePermissions } from "./_requires.ts";

Deno.test({
  name: "a database that never answers: 20 concurrent calls refused within ~the connect timeout",
  ignore: requirePermissions(
    "an unresponsive database",
    "to listen on and connect to 127.0.0.1 and read every environment variable (npm:pg)",
    { name: "net", host: "127.0.0.1" },
    { name: "env" },
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      try {
        for await (const conn of listener) held.push(conn); // accepted, never answered
      } catch { /* closed */ }
    })();
    const url = `postgres://northstar@127.0.0.1:${(listener.addr as Deno.NetAddr).port}/northstar`;

    async function storm(store: { resolveApiKey(h: string): Promise<string | null> }, deadlineMs: number) {
      const started = performance.now();
      const results = await Promise.all(Array.from({ length: 20 }, async () => {
        const t0 = performance.now();
        const outcome = await Promise.race([
          store.resolveApiKey("0".repeat(64)).then(() => "answered", (e) => e),
          new Promise((r) => setTimeout(() => r("still waiting"), deadlineMs)),
        ]);
        return { outcome, ms: performance.now() - t0 };
      }));
      return { results, total: performance.now() - started };
    }

    const bare = createPgStore(url, { connectTimeoutSeconds: 0.5, maxConnections: 4 });
    const guarded = createResilientPgStore(url, { connectTimeoutMs: 500, maxConnections: 4, poolWaitMs: 1000 });
    try {
      const before = await storm(bare, 10_000);
      const waiting = before.results.filter((r) => r.outcome === "still waiting").length;
      const bareWorst = Math.max(...before.results.map((r) => r.ms));
      console.log(`  bare store (no breaker): worst ${bareWorst.toFixed(0)} ms, ${waiting} of 20 unanswered at 10 s`);

      const after = await storm(guarded, 10_000);
      const worst = Math.max(...after.results.map((r) => r.ms));
      console.log(`  resilient store: worst ${worst.toFixed(0)} ms (connect timeout 500 ms)`);
      for (const r of after.results) {
        assert.ok(r.outcome instanceof StoreError && r.outcome.kind === "unavailable", String(r.outcome));
      }
      assert.ok(worst < 2000, `worst ${worst.toFixed(0)} ms`);
      assert.equal(guarded.state === "open" || guarded.state === "half-open", true);
    } finally {
      await guarded.close();
      await Promise.race([bare.close(), new Promise((r) => setTimeout(r, 2000))]);
      listener.close();
      for (const c of held) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
    }
  },
});
