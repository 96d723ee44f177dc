// The key cache's revocation bound, over real HTTP on the real local server (scripts/serve.ts
// on the PostgreSQL 15 of scripts/test-e2e.sh): after a key is rotated, or revoked, requests
// with it are refused at the latest 5 s after the change commits (key_cache.ts), and a new key
// works at once (unknown keys are never cached).
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { MAX_KEY_CACHE_TTL_MS } from "../../supabase/functions/_shared/key_cache.ts";
import { readVariable, requirePermissions, requirePostgres } from "./_requires.ts";

const url = readVariable("SUPABASE_DB_URL");
const SUITE = "the key cache over HTTP on PostgreSQL 15";
const root = new URL("../../", import.meta.url).pathname;
/** Slack for the polling interval and one request on a busy machine, on top of the bound (only for
 * the first refusal; a request sent after the bound must never be accepted). */
const SLACK_MS = 1_000;

async function startServer(cwd: string, dbUrl: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}scripts/serve.ts`, "--port", "0"],
    cwd,
    stdout: "piped",
    stderr: "inherit",
    env: { SUPABASE_DB_URL: dbUrl },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("Rotate the key")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early:\n${out}`);
    out += value;
  }
  // The server logs a line per request: keep reading so its pipe never fills.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const key = out.match(/API key: (ns_[A-Za-z0-9_-]+)/)?.[1];
  const project = out.match(/project: ([0-9a-f-]{36})/)?.[1];
  const base = out.match(/ingest: {2}(http:\/\/127\.0\.0\.1:\d+\/functions\/v1)\/ingest-traces/)?.[1];
  assert.ok(key && project && base, out);
  return {
    key,
    project,
    base,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drained.catch(() => {});
    },
  };
}

function batch() {
  const session = crypto.randomUUID();
  const run = crypto.randomUUID();
  return {
    schema_version: 2,
    sessions: [{ id: session, created_at: "2025-03-01T12:00:00Z" }],
    runs: [{ id: run, session_id: session, name: "r", started_at: "2025-03-01T12:00:00Z", status: "ok" }],
    spans: [{
      id: crypto.randomUUID(),
      run_id: run,
      kind: "tool",
      name: "t",
      started_at: "2025-03-01T12:00:01Z",
      status: "ok",
    }],
  };
}

Deno.test({
  name: "a rotated or revoked key is refused within 5 s over HTTP; a new key works at once",
  ignore: requirePostgres(SUITE) ||
    requirePermissions(SUITE, "to run deno (scripts/serve.ts) and write a temporary directory", { name: "run" }, {
      name: "write",
    }),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    // A database of its own, which the server migrates as on a user's first start.
    const admin = postgres(url!, { onnotice: () => {}, max: 1 });
    const name = `ns_keycache_${crypto.randomUUID().slice(0, 8)}`;
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const dbUrl = Object.assign(new URL(url!), { pathname: `/${name}` }).href;
    const sql = postgres(dbUrl, { onnotice: () => {}, max: 1 });
    const cwd = await Deno.makeTempDir({ prefix: "northstar-keycache-" });
    const server = await startServer(cwd, dbUrl);
    const send = async (key: string) => {
      const res = await fetch(`${server.base}/ingest-traces`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(batch()),
      });
      await res.body?.cancel();
      return res.status;
    };
    /** Sends with `key` until refused; returns ms from `since` to the first 401. */
    const untilRefused = async (key: string, since: number) => {
      for (let i = 0; i < 200; i++) {
        const sent = performance.now();
        const status = await send(key);
        if (status === 401) return performance.now() - since;
        assert.equal(status, 200);
        assert.ok(sent - since < MAX_KEY_CACHE_TTL_MS, `accepted a request sent ${sent - since} ms after the change`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("never refused");
    };
    try {
      const oldKey = server.key;
      const newKey = "ns_e2e_rotated_" + crypto.randomUUID();

      await t.step("rotation", async () => {
        assert.equal(await send(oldKey), 200);
        assert.equal(await send(newKey), 401, "not yet a key");
        await sql`SELECT public.create_or_rotate_project_api_key(${server.project}::uuid, 'My Agent', gen_random_uuid(),
          ${hash_api_key(newKey)})`;
        const rotated = performance.now();
        // The new key works at once: its earlier refusal was not cached.
        assert.equal(await send(newKey), 200);
        // Right after the change the old key is still answered from the cache (the cache is in the path)…
        assert.equal(await send(oldKey), 200);
        // …and refused within the bound, and from then on.
        const after = await untilRefused(oldKey, rotated);
        console.log(`old key refused ${after.toFixed(0)} ms after the rotation committed`);
        assert.ok(after <= MAX_KEY_CACHE_TTL_MS + SLACK_MS, `refused only after ${after} ms`);
        for (let i = 0; i < 5; i++) assert.equal(await send(oldKey), 401);
      });

      await t.step("revocation", async () => {
        // Past the bound, so the next answer comes from a fresh lookup and is cached from then.
        await new Promise((r) => setTimeout(r, MAX_KEY_CACHE_TTL_MS + 100));
        assert.equal(await send(newKey), 200);
        const [row] = await sql`SELECT id FROM private.api_keys WHERE key_hash = ${hash_api_key(newKey)}`;
        const [revoked] = await sql`SELECT private.revoke_api_key(${row.id}::uuid, ${server.project}::uuid) AS ok`;
        assert.equal(revoked.ok, true);
        const since = performance.now();
        assert.equal(await send(newKey), 200, "still answered from the cache right after the revocation");
        const after = await untilRefused(newKey, since);
        console.log(`revoked key refused ${after.toFixed(0)} ms after the revocation committed`);
        assert.ok(after <= MAX_KEY_CACHE_TTL_MS + SLACK_MS, `refused only after ${after} ms`);
        for (let i = 0; i < 5; i++) assert.equal(await send(newKey), 401);
      });
    } finally {
      await server.stop();
      await sql.end();
      await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
