// The database goes down under load: the local server on PostgreSQL 15 (scripts/run.sh with
// SUPABASE_DB_URL, on its own database of the throwaway cluster that scripts/test-e2e.sh
// starts and lets tests stop and start through NS_PG_STOP / NS_PG_START). At 8 and then 20
// concurrent clients, every request is answered within 2 s while the database is down
// (503 + Retry-After), and clients that retry until 200, honouring Retry-After (1 s here),
// get every record stored exactly once, counted in SQL.
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { startLocalServer } from "./lib/local_server.ts";
import { readVariable, requirePermissions, requirePostgres, requireVariable } from "./_requires.ts";

const SUITE = "the database outage under load";
const url = readVariable("SUPABASE_DB_URL");
const stopCommand = readVariable("NS_PG_STOP");
const startCommand = readVariable("NS_PG_START");
const LIMIT_MS = 2000;

async function run(command: string) {
  const out = await new Deno.Command("bash", { args: ["-c", command], stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${command}: ${new TextDecoder().decode(out.stderr)}`);
}

function batch() {
  const session = crypto.randomUUID();
  const runId = crypto.randomUUID();
  return {
    session,
    run: runId,
    body: JSON.stringify({
      schema_version: 2,
      sessions: [{ id: session, created_at: "2025-03-01T12:00:00Z" }],
      runs: [{ id: runId, session_id: session, name: "outage", started_at: "2025-03-01T12:00:00Z", status: "running" }],
    }),
  };
}

Deno.test({
  name: "database outage: fast 503s at 8 and 20 concurrent clients; retried batches land exactly once",
  ignore: requirePostgres(SUITE) ||
    requireVariable(SUITE, "NS_PG_STOP", "scripts/test-e2e.sh sets it to stop its cluster") ||
    requirePermissions(SUITE, "to run bash and write a temporary directory", { name: "run", command: "bash" }, {
      name: "write",
    }),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const admin = postgres(url!, { max: 1, onnotice: () => {} });
    await admin.unsafe("DROP DATABASE IF EXISTS northstar_outage");
    await admin.unsafe("CREATE DATABASE northstar_outage");
    await admin.end();
    const dbUrl = url!.replace(/\/[^/]*$/, "/northstar_outage");
    const stateFile = new URL(
      `../../.northstar/local-${new URL(dbUrl).host.replace(/[^a-zA-Z0-9]/g, "_")}.json`,
      import.meta.url,
    );
    await Deno.remove(stateFile).catch(() => {});
    const server = await startLocalServer([], { SUPABASE_DB_URL: dbUrl, NORTHSTAR_RETRY_AFTER_SECONDS: "1" });
    const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
    const worst: Record<number, number> = {};

    async function send(body: string) {
      const started = performance.now();
      const res = await fetch(`${server.base}/ingest-traces`, {
        method: "POST",
        headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
        body,
      });
      const json = await res.json();
      return { status: res.status, retryAfter: res.headers.get("retry-after"), json, ms: performance.now() - started };
    }

    try {
      for (const clients of [8, 20]) {
        await t.step(`${clients} clients: every answer within ${LIMIT_MS} ms while the database is down`, async () => {
          await run(stopCommand!);
          try {
            const answers: Awaited<ReturnType<typeof send>>[] = [];
            for (let round = 0; round < 3; round++) {
              answers.push(...await Promise.all(Array.from({ length: clients }, () => send(batch().body))));
            }
            worst[clients] = Math.max(...answers.map((a) => a.ms));
            const statuses = answers.reduce(
              (m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }),
              {} as Record<number, number>,
            );
            console.log(
              `  ${clients} clients × 3 rounds, database down: worst ${worst[clients].toFixed(0)} ms,` +
                ` statuses ${JSON.stringify(statuses)}`,
            );
            assert.ok(worst[clients] < LIMIT_MS, `an answer took ${worst[clients].toFixed(0)} ms`);
            for (const a of answers) {
              assert.equal(a.status, 503, JSON.stringify(a.json));
              assert.equal(a.json.error, "Database unavailable, retry later");
              assert.equal(a.retryAfter, "1");
            }
          } finally {
            await run(startCommand!);
          }
        });

        await t.step(`${clients} clients retrying until 200 across an outage: every record exactly once`, async () => {
          await run(stopCommand!);
          const batches = Array.from({ length: clients }, batch);
          let restarted = false;
          const latencies: number[] = [];
          let attempts = 0;
          const give = async (b: ReturnType<typeof batch>) => {
            const until = performance.now() + 30_000;
            while (performance.now() < until) {
              const a = await send(b.body);
              attempts++;
              if (!restarted) latencies.push(a.ms);
              if (a.status === 200) return;
              assert.equal(a.status, 503, JSON.stringify(a.json));
              await new Promise((r) => setTimeout(r, Number(a.retryAfter ?? "1") * 1000));
            }
            throw new Error("no 200 within 30 s");
          };
          const all = Promise.all(batches.map(give));
          await new Promise((r) => setTimeout(r, 2500));
          await run(startCommand!);
          restarted = true;
          await all;
          const ids = batches.map((b) => b.run);
          const sessions = batches.map((b) => b.session);
          const [runs] = await sql`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM private.runs
            WHERE id = ANY(${ids}::uuid[])`;
          const [stored] =
            await sql`SELECT count(*)::int AS n FROM private.sessions WHERE id = ANY(${sessions}::uuid[])`;
          const down = Math.max(...latencies);
          console.log(
            `  ${clients} clients: ${attempts} attempts, worst while down ${down.toFixed(0)} ms;` +
              ` runs stored ${runs.n} (${runs.d} distinct), sessions ${stored.n}, of ${clients}`,
          );
          assert.deepEqual([runs.n, runs.d, stored.n], [clients, clients, clients]);
          assert.ok(down < LIMIT_MS, `an answer took ${down.toFixed(0)} ms while the database was down`);
          worst[clients] = Math.max(worst[clients] ?? 0, down);
        });
      }
      console.log(
        `  worst latency while the database was down: 8 clients ${worst[8]?.toFixed(0)} ms,` +
          ` 20 clients ${worst[20]?.toFixed(0)} ms`,
      );
    } finally {
      await sql.end();
      await server.stop();
      await Deno.remove(stateFile).catch(() => {});
    }
  },
});
