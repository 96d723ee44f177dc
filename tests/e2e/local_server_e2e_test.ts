// The README's first command: scripts/run.sh serves both functions on the embedded PGlite
// database; its printed curl line sends the contract's example batch; data and key survive
// a restart; --rotate-key replaces the key. Runs the real script in a subprocess.
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

async function start(data: string, extra: string[] = []) {
  const child = new Deno.Command("bash", {
    args: ["scripts/run.sh", "--port", "0", "--data", data, ...extra],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
    env: { SUPABASE_DB_URL: "" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("Rotate the key")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early:\n${out}`);
    out += value;
  }
  const curl = out.match(/^ {2}(curl -sS .*)$/m)?.[1];
  const key = out.match(/API key: (ns_[A-Za-z0-9_-]+)/)?.[1];
  const base = out.match(/ingest: {2}(http:\/\/127\.0\.0\.1:\d+\/functions\/v1)\/ingest-traces/)?.[1];
  assert.ok(curl && key && base, out);
  return {
    out,
    curl,
    key,
    base,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel();
    },
  };
}

async function sh(command: string): Promise<string> {
  const out = await new Deno.Command("bash", { args: ["-c", command], cwd: root, stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "scripts/run.sh: the printed curl line is accepted; data and key persist; rotation",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const data = await Deno.makeTempDir({ prefix: "northstar-local-" }) + "/pglite";
    let server = await start(data);
    try {
      // Every file of supabase/migrations, however many there are.
      const migrations = [...Deno.readDirSync(`${root}supabase/migrations`)].filter((f) => f.name.endsWith(".sql"));
      assert.match(server.out, new RegExp(`applied ${migrations.length} migrations`));
      const accepted = JSON.parse(await sh(server.curl));
      assert.deepEqual(accepted, {
        accepted: true,
        counts: { sessions: 1, runs: 1, spans: 3, events: 3, prompt_links: 0, scores: 0 },
      });
      const wrong = await fetch(`${server.base}/ingest-traces`, {
        method: "POST",
        headers: { authorization: "Bearer ns_wrong" },
        body: "{}",
      });
      assert.equal(wrong.status, 401);
      await wrong.body?.cancel();
    } finally {
      await server.stop();
    }

    server = await start(data);
    const key = server.key;
    try {
      assert.doesNotMatch(server.out, /applied/, "no migration runs twice");
      // The run stored before the restart is still there: an event may refer to it.
      const later = await fetch(`${server.base}/ingest-traces`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: JSON.stringify({
          schema_version: 2,
          events: [{
            id: "e9000000-0000-4000-8000-000000000001",
            run_id: "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
            type: "custom",
            created_at: "2025-03-01T12:10:00Z",
          }],
        }),
      });
      assert.equal(later.status, 200, await later.text());
    } finally {
      await server.stop();
    }

    server = await start(data, ["--rotate-key"]);
    try {
      assert.notEqual(server.key, key);
      const old = await fetch(`${server.base}/ingest-traces`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
        body: "{}",
      });
      assert.equal(old.status, 401);
      await old.body?.cancel();
      assert.equal(JSON.parse(await sh(server.curl)).accepted, true);
    } finally {
      await server.stop();
    }
  },
});
