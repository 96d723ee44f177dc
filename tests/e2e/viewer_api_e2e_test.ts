// The viewer's read API on a real PostgreSQL (SUPABASE_DB_URL, the throwaway cluster of
// scripts/test-e2e.sh): scripts/serve.ts in a subprocess, a batch sent over HTTP to its
// ingest endpoint, then read back through /api/… with and without the viewer token.
// (The browser test drives the same API on the embedded PGlite.) The server gets a database
// of its own on that cluster: it applies the migrations itself, as on a fresh project.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { readVariable, requirePermissions, requirePostgres } from "./_requires.ts";

const root = new URL("../../", import.meta.url).pathname;
const SUITE = "viewer read API on PostgreSQL 15 (scripts/serve.ts in a subprocess)";

async function startServer(cwd: string, url: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--frozen",
      "--config",
      `${root}deno.json`,
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      `${root}scripts/serve.ts`,
      "--port",
      "0",
    ],
    cwd, // the local state file (.northstar/local-….json) goes here, not into the repository
    stdout: "piped",
    stderr: "inherit",
    env: { SUPABASE_DB_URL: url, NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("Rotate the key")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early:\n${out}`);
    out += value;
  }
  const viewer = out.match(/viewer: +(http:\/\/127\.0\.0\.1:(\d+))\/\?token=([A-Za-z0-9_-]+)/);
  const key = out.match(/API key: (ns_[A-Za-z0-9_-]+)/)?.[1];
  assert.ok(viewer && key, out);
  assert.match(out, /on PostgreSQL at/);
  return {
    base: viewer[1],
    token: viewer[3],
    key,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel();
    },
  };
}

Deno.test({
  name: "viewer read API on PostgreSQL: token required, no CORS, the dashboard read models' stored values",
  ignore: requirePostgres(SUITE) ||
    requirePermissions(
      SUITE,
      "to run deno (scripts/serve.ts), read its path and write a temporary directory",
      { name: "run" },
      { name: "read" },
      { name: "write" },
    ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dbUrl = readVariable("SUPABASE_DB_URL");
    const cwd = await Deno.makeTempDir({ prefix: "northstar-viewer-pg-" });
    const admin = postgres(dbUrl!, { onnotice: () => {}, max: 1 });
    const dbName = `northstar_viewer_${crypto.randomUUID().replaceAll("-", "")}`;
    await admin.unsafe(`CREATE DATABASE ${dbName}`);
    const url = new URL(dbUrl!);
    url.pathname = `/${dbName}`;
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      server = await startServer(cwd, url.href);
      const id = () => crypto.randomUUID();
      const [session, run, parent, child, event, score] = [id(), id(), id(), id(), id(), id()];
      const t = (ms: number) => new Date(Date.UTC(2026, 0, 2, 3, 4, 5) + ms).toISOString();
      const ingest = await fetch(`${server.base}/functions/v1/ingest-traces`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
        body: JSON.stringify({
          schema_version: 2,
          sessions: [{ id: session, created_at: t(0), ended_at: t(500) }],
          runs: [{
            id: run,
            session_id: session,
            name: "pg-agent",
            started_at: t(0),
            ended_at: t(400),
            status: "ok",
            metadata: { cost_usd: 0.5, total_input_tokens: 7, total_output_tokens: 3 },
          }],
          spans: [
            { id: parent, run_id: run, kind: "agent", name: "root", started_at: t(1), ended_at: t(300), status: "ok" },
            {
              id: child,
              run_id: run,
              parent_span_id: parent,
              kind: "tool",
              name: "lookup",
              started_at: t(2),
              ended_at: t(200),
              status: "error",
              error: { type: "KeyError", message: "missing" },
            },
          ],
          events: [{
            id: event,
            run_id: run,
            span_id: child,
            type: "tool_result",
            created_at: t(150),
            content: { n: 1 },
          }],
          scores: [{
            id: score,
            trace_id: run,
            span_id: child,
            name: "quality",
            value: 0.25,
            data_type: "numeric",
            source: "api",
            created_at: t(450),
          }],
        }),
      });
      assert.equal(ingest.status, 200, await ingest.text());

      const auth = { authorization: `Bearer ${server.token}` };
      const noToken = await fetch(`${server.base}/api/sessions`);
      assert.equal(noToken.status, 401);
      await noToken.body?.cancel();
      const wrong = await fetch(`${server.base}/api/sessions`, { headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();

      const sessions = await fetch(`${server.base}/api/sessions`, {
        headers: { ...auth, origin: "https://evil.example" },
      });
      assert.equal(sessions.status, 200);
      assert.equal([...sessions.headers.keys()].filter((k) => k.startsWith("access-control-")).length, 0);
      const row = (await sessions.json()).find((s: { id: string }) => s.id === session);
      assert.deepEqual(
        {
          trace_count: row.trace_count,
          tool_call_count: row.tool_call_count,
          errored_count: row.errored_count,
          total_cost_usd: row.total_cost_usd,
          total_input_tokens: row.total_input_tokens,
          total_output_tokens: row.total_output_tokens,
        },
        {
          trace_count: 1,
          tool_call_count: 1,
          errored_count: 0,
          total_cost_usd: 0.5,
          total_input_tokens: 7,
          total_output_tokens: 3,
        },
      );

      const one = await (await fetch(`${server.base}/api/sessions/${session}`, { headers: auth })).json();
      assert.equal(one.session.id, session);
      assert.deepEqual(one.traces.map((r: { id: string; name: string }) => [r.id, r.name]), [[run, "pg-agent"]]);

      const traceUrl = `${server.base}/api/traces/${run}`;
      const first = await fetch(traceUrl, { headers: auth });
      const trace = await first.json();
      assert.equal(trace.trace.name, "pg-agent");
      assert.deepEqual(
        trace.spans.map((s: { id: string; parent_span_id: string | null }) => [s.id, s.parent_span_id]),
        [
          [parent, null],
          [child, parent],
        ],
      );
      assert.deepEqual(trace.spans[1].error, { type: "KeyError", message: "missing" });
      assert.deepEqual(trace.events.map((e: { id: string; content: unknown }) => [e.id, e.content]), [[event, {
        n: 1,
      }]]);
      assert.deepEqual(
        trace.scores.map((s: { id: string; value: number; span_id: string }) => [s.id, s.value, s.span_id]),
        [
          [score, 0.25, child],
        ],
      );
      assert.deepEqual(trace.prompt_links, []);
      // Polling an unchanged trace costs a 304.
      const etag = first.headers.get("etag");
      assert.ok(etag);
      const again = await fetch(traceUrl, { headers: { ...auth, "if-none-match": etag } });
      assert.equal(again.status, 304);
      await again.body?.cancel();

      for (
        const [path, status] of [
          [`/api/traces/${crypto.randomUUID()}`, 404],
          [`/api/sessions/${crypto.randomUUID()}`, 404],
          [`/api/prompts/${crypto.randomUUID()}`, 404],
          ["/api/traces/x", 400],
          ["/api/nothing", 404],
        ] as const
      ) {
        const r: Response = await fetch(`${server.base}${path}`, { headers: auth });
        assert.equal(r.status, status, path);
        await r.body?.cancel();
      }
      const prompts = await fetch(`${server.base}/api/prompts`, { headers: auth });
      assert.ok(Array.isArray(await prompts.json()));
      const post = await fetch(`${server.base}/api/sessions`, { method: "POST", headers: auth, body: "{}" });
      assert.equal(post.status, 405);
      await post.body?.cancel();

      // The page and the validator's module are served, with a policy that forbids inline script.
      const page = await fetch(`${server.base}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.match(await page.text(), /<main id="view">/);
      const wasm = await fetch(`${server.base}/pkg/northstar_core_bg.wasm`);
      assert.equal(wasm.headers.get("content-type"), "application/wasm");
      await wasm.body?.cancel();
      for (const path of ["/viewer/%2e%2e/%2e%2e/deno.json", "/viewer/.hidden.js", "/pkg/northstar_core.d.ts"]) {
        const r: Response = await fetch(`${server.base}${path}`);
        assert.equal(r.status, 404, path);
        await r.body?.cancel();
      }
    } finally {
      await server?.stop();
      await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
