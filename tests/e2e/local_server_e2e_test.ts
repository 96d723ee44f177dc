// The README's first command: scripts/run.sh serves both functions on the embedded PGlite
// database; its printed curl line sends the contract's example batch; data and key survive
// a restart; --rotate-key replaces the key; a key rotated elsewhere is never replaced
// silently. Runs the real script in a subprocess.
import assert from "node:assert/strict";
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { requirePermissions } from "./_requires.ts";
import { migrationFiles } from "../../scripts/lib/migrate.ts";

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

/** Runs the server expecting it to refuse to start: its exit status and what it printed. */
async function startRefused(data: string) {
  const child = new Deno.Command("bash", {
    args: ["scripts/run.sh", "--port", "0", "--data", data],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { SUPABASE_DB_URL: "" },
  }).spawn();
  // A server that starts anyway is stopped, so that the test fails instead of hanging.
  const timer = setTimeout(() => child.kill("SIGTERM"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Runs `work` on the server's PGlite data directory (while the server is stopped). */
async function onData<T>(data: string, work: (db: PGlite) => Promise<T>): Promise<T> {
  const db = await PGlite.create(data);
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

async function sh(command: string): Promise<string> {
  const out = await new Deno.Command("bash", { args: ["-c", command], cwd: root, stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "scripts/run.sh: the printed curl line is accepted; data and key persist; rotation",
  ignore: requirePermissions(
    "scripts/run.sh end to end",
    "to run bash (scripts/run.sh) and write a temporary directory",
    { name: "run", command: "bash" },
    { name: "write" },
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const temp = await Deno.makeTempDir({ prefix: "northstar-local-" });
    const data = temp + "/pglite";
    try {
      let server = await start(data);
      try {
        assert.match(server.out, new RegExp(`applied ${migrationFiles().length} migrations`));
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

      // The operator rotates the key elsewhere (the dashboard's RPC); a restart must not undo it.
      const project = server.out.match(/project: ([0-9a-f-]{36})/)![1];
      const operatorKey = "ns_rotated_by_the_operator_0123456789";
      const keysBefore = await onData(data, async (db) => {
        await db.query("SELECT public.create_or_rotate_project_api_key($1::uuid, 'My Agent', $2::uuid, $3)", [
          project,
          crypto.randomUUID(),
          hash_api_key(operatorKey),
        ]);
        return (await db.query<{ keys: string }>(
          "SELECT json_agg(k ORDER BY id)::text AS keys FROM private.api_keys k",
        ))
          .rows[0].keys;
      });
      const refused = await startRefused(data);
      assert.notEqual(refused.code, 0, refused.stdout);
      assert.match(refused.stderr, /no longer works/);
      assert.match(refused.stderr, /scripts\/run\.sh --rotate-key/);
      await onData(data, async (db) => {
        const keys =
          (await db.query<{ keys: string }>("SELECT json_agg(k ORDER BY id)::text AS keys FROM private.api_keys k"))
            .rows[0].keys;
        assert.equal(keys, keysBefore, "no key was created or revoked");
        const [row] = (await db.query<{ project_id: string }>("SELECT project_id FROM private.resolve_api_key($1)", [
          hash_api_key(operatorKey),
        ])).rows;
        assert.equal(row?.project_id, project, "the operator's key still works");
      });

      // Asked explicitly, it rotates.
      server = await start(data, ["--rotate-key"]);
      try {
        assert.ok(server.key !== operatorKey);
        assert.equal(JSON.parse(await sh(server.curl)).accepted, true);
      } finally {
        await server.stop();
      }
    } finally {
      await Deno.remove(temp, { recursive: true }).catch(() => {});
    }
  },
});
