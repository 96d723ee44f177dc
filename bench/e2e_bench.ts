/**
 * `deno task bench:e2e`: the real HTTP endpoint (scripts/serve.ts, as a user runs it) on
 * PostgreSQL 15 and on the embedded PGlite, for this tree and, side by side, an older commit
 * (a git worktree made by bench/e2e-bench.sh), with the same payloads, interleaved round by
 * round, so that a change reads as a ratio measured in one run.
 *
 * For each batch size (SDK-shaped, ids from crypto.randomUUID), concurrency and mode (fresh
 * ids, or the same batches re-sent) it prints records/s (records over the burst's wall time),
 * the p50 and p99 of the request latency, and, where the server sends `Server-Timing` (this
 * tree does), the share of the latency spent in the key lookup and the database call (`db`),
 * in the wasm core's `prepare_batch` (`core`) and elsewhere (HTTP, body, JSON, scheduling).
 *
 *   deno run -A bench/e2e_bench.ts --new-db URL [--base-db URL --base-tree DIR] [--quick]
 *                                  [--no-pglite]
 *
 * @module
 */
import { BatchGenerator, recordCount } from "./sdk_batch.ts";

interface Args {
  newDb: string;
  baseDb?: string;
  baseTree?: string;
  quick: boolean;
  pglite: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Partial<Args> = { quick: false, pglite: true };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case "--new-db":
        args.newDb = value();
        break;
      case "--base-db":
        args.baseDb = value();
        break;
      case "--base-tree":
        args.baseTree = value();
        break;
      case "--quick":
        args.quick = true;
        break;
      case "--no-pglite":
        args.pglite = false;
        break;
      default:
        throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!args.newDb) throw new Error("--new-db URL is required");
  if ((args.baseDb === undefined) !== (args.baseTree === undefined)) {
    throw new Error("--base-db and --base-tree go together");
  }
  return args as Args;
}

/** One running server: a tree (new or base) on one database (PostgreSQL or PGlite). */
interface Target {
  tree: "new" | "base";
  db: "PostgreSQL 15" | "PGlite";
  url: string;
  key: string;
  stop(): Promise<void>;
}

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

async function startServer(tree: "new" | "base", dir: string, db: Target["db"], dbUrl: string): Promise<Target> {
  const temp = await Deno.makeTempDir({ prefix: `northstar-bench-${tree}-` });
  const args = ["run", "-A", `${dir}/scripts/serve.ts`, "--port", "0"];
  if (db === "PGlite") args.push("--data", `${temp}/pglite`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: temp, // the server's state file (.northstar/…) goes here, not into either tree
    stdout: "piped",
    stderr: "inherit",
    env: { SUPABASE_DB_URL: db === "PGlite" ? "" : dbUrl },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const deadline = Date.now() + 120_000;
  while (!out.includes("Rotate the key")) {
    if (Date.now() > deadline) throw new Error(`${tree} on ${db}: no start-up within 120 s:\n${out}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`${tree} on ${db}: the server exited:\n${out}`);
    out += value;
  }
  // One log line per request follows: keep the pipe drained.
  const drained = (async () => {
    while (!(await reader.read()).done) { /* discard */ }
  })();
  const key = out.match(/API key: (ns_[A-Za-z0-9_-]+)/)?.[1];
  const base = out.match(/ingest: {2}(http:\/\/127\.0\.0\.1:\d+\/functions\/v1\/ingest-traces)/)?.[1];
  if (!key || !base) throw new Error(`${tree} on ${db}: cannot read the key and address:\n${out}`);
  return {
    tree,
    db,
    url: base,
    key,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await drained.catch(() => {});
      await Deno.remove(temp, { recursive: true }).catch(() => {});
    },
  };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** SDK-shaped batch templates, one per size (batchOfRecords fails for some seeds: try the next). */
function template(records: number): string {
  for (let seed = 1; seed < 100; seed++) {
    try {
      const batch = new BatchGenerator(seed).batchOfRecords(records);
      if (recordCount(batch) === records) return JSON.stringify(batch);
    } catch { /* next seed */ }
  }
  throw new Error(`no batch of ${records} records`);
}

/** The template with every id replaced by a fresh random one (references kept consistent). */
function freshIds(text: string): string {
  const ids = new Map<string, string>();
  return text.replace(UUID, (id) => {
    let fresh = ids.get(id);
    if (!fresh) ids.set(id, fresh = crypto.randomUUID());
    return fresh;
  });
}

interface Sample {
  ms: number;
  timing: Record<string, number>;
}

async function post(target: Target, body: string): Promise<Sample> {
  const started = performance.now();
  const res = await fetch(target.url, {
    method: "POST",
    headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
    body,
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${target.tree} on ${target.db}: ${res.status} ${text.slice(0, 300)}`);
  const timing: Record<string, number> = {};
  for (const part of (res.headers.get("server-timing") ?? "").split(",")) {
    const m = part.trim().match(/^(\w+);dur=([\d.]+)$/);
    if (m) timing[m[1]] = Number(m[2]);
  }
  return { ms, timing };
}

/** Sends `bodies` with `concurrency` requests in flight; the samples and the wall time. */
async function burst(target: Target, bodies: string[], concurrency: number) {
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, async () => {
    while (next < bodies.length) samples.push(await post(target, bodies[next++]));
  }));
  return { samples, wallMs: performance.now() - started };
}

interface Scenario {
  records: number;
  concurrency: number;
  mode: "fresh" | "re-sent";
  /** Requests per target per round. */
  perRound: number;
  rounds: number;
  /** Also on PGlite (one connection in one process: its concurrency 8 is a queue). */
  pglite: boolean;
}

function scenarios(quick: boolean): Scenario[] {
  // [records, concurrency, requests per round, rounds]: short bursts, many rounds, so that the
  // machine's load drifting (it is shared) falls on both trees alike; a full run takes about
  // two minutes here (PGlite is the slow part).
  const plan: [number, number, number, number][] = quick
    ? [
      [10, 1, 5, 6],
      [50, 1, 5, 6],
      [50, 8, 16, 4],
      [2000, 1, 3, 2],
      [2000, 8, 16, 2],
    ]
    : [
      [10, 1, 6, 12],
      [50, 1, 6, 12],
      [50, 8, 16, 10],
      // The 2,000-record targets sample more: with 10 requests at c1, and with two bursts of
      // eight at c8 (each timed by its slowest request), the ratio moved by ±0.2 between runs.
      [2000, 1, 2, 10],
      [2000, 8, 16, 4],
      [5000, 1, 1, 5],
      [5000, 8, 8, 2],
    ];
  const out: Scenario[] = [];
  for (const [records, concurrency, perRound, rounds] of plan) {
    for (const mode of ["fresh", "re-sent"] as const) {
      if (records === 10 && mode === "re-sent") continue; // the fixed cost: fresh only
      out.push({ records, concurrency, mode, perRound, rounds, pglite: !(records === 5000 && concurrency === 8) });
    }
  }
  return out;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

interface Result {
  recordsPerSecond: number;
  p50: number;
  p99: number;
  /** Shares of the summed latency (only where Server-Timing came back). */
  shares?: { db: number; core: number; other: number };
  /** Mean ms per request in the database (key lookup + ingest) and the core. */
  meanDb?: number;
  meanCore?: number;
}

function summarise(records: number, samples: Sample[], wallMs: number): Result {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const total = ms.reduce((a, b) => a + b, 0);
  const timed = samples.filter((s) => "db" in s.timing);
  const result: Result = {
    recordsPerSecond: records * samples.length / (wallMs / 1000),
    p50: quantile(ms, 0.5),
    p99: quantile(ms, 0.99),
  };
  if (timed.length === samples.length && samples.length > 0) {
    const db = timed.reduce((a, s) => a + s.timing.db + (s.timing.auth ?? 0), 0);
    const core = timed.reduce((a, s) => a + s.timing.core, 0);
    result.shares = { db: db / total, core: core / total, other: 1 - (db + core) / total };
    result.meanDb = db / timed.length;
    result.meanCore = core / timed.length;
  }
  return result;
}

async function run(scenario: Scenario, targets: Target[]): Promise<Map<Target, Result>> {
  const text = template(scenario.records);
  const resent = scenario.mode === "re-sent";
  // The same bodies for every target (each has its own database, so ids never meet).
  const rounds = Array.from(
    { length: scenario.rounds },
    (_, r) => resent && r > 0 ? null : Array.from({ length: scenario.perRound }, () => freshIds(text)),
  );
  const bodiesOf = (r: number) => (resent ? rounds[0]! : rounds[r]!);
  if (resent) {
    // Stored once, unmeasured; every measured round re-sends them.
    for (const t of targets) await burst(t, bodiesOf(0), scenario.concurrency);
  }
  const samples = new Map<Target, Sample[]>(targets.map((t) => [t, []]));
  const wall = new Map<Target, number>(targets.map((t) => [t, 0]));
  for (let r = 0; r < scenario.rounds; r++) {
    // Interleaved, and the order turns each round so no target always goes first.
    const order = targets.map((_, i) => targets[(i + r) % targets.length]);
    for (const t of order) {
      const { samples: s, wallMs } = await burst(t, bodiesOf(r), scenario.concurrency);
      samples.get(t)!.push(...s);
      wall.set(t, wall.get(t)! + wallMs);
    }
  }
  return new Map(targets.map((t) => [t, summarise(scenario.records, samples.get(t)!, wall.get(t)!)]));
}

const f0 = (n: number) => n.toFixed(0).padStart(7);
const f1 = (n: number) => n.toFixed(1).padStart(7);
const pct = (n: number) => `${(n * 100).toFixed(0)}%`.padStart(4);

async function main() {
  const args = parseArgs(Deno.args);
  const databases: [Target["db"], string | undefined, string | undefined][] = [
    ["PostgreSQL 15", args.newDb, args.baseDb],
  ];
  if (args.pglite) databases.push(["PGlite", "", args.baseTree ? "" : undefined]);
  const targets: Target[] = [];
  const started = performance.now();
  try {
    for (const [db, newUrl, baseUrl] of databases) {
      targets.push(await startServer("new", ROOT, db, newUrl!));
      if (args.baseTree && baseUrl !== undefined) targets.push(await startServer("base", args.baseTree, db, baseUrl));
    }
    console.log(`servers: ${targets.map((t) => `${t.tree} on ${t.db}`).join(", ")}`);
    // One unmeasured batch each: connections, the wasm core and the database's caches warm.
    for (const t of targets) await post(t, freshIds(template(50)));

    const table: { scenario: Scenario; results: Map<Target, Result> }[] = [];
    for (const scenario of scenarios(args.quick)) {
      const results = await run(scenario, targets.filter((t) => t.db !== "PGlite" || scenario.pglite));
      table.push({ scenario, results });
      const line = targets.filter((t) => results.has(t)).map((t) =>
        `${t.tree}/${t.db === "PGlite" ? "lite" : "pg"} ${f0(results.get(t)!.recordsPerSecond)}`
      )
        .join("  ");
      console.log(
        `  ${String(scenario.records).padStart(5)} rec  c${scenario.concurrency}  ${
          scenario.mode.padEnd(7)
        }  rec/s: ${line}`,
      );
    }

    for (const db of databases.map(([d]) => d)) {
      const newT = targets.find((t) => t.db === db && t.tree === "new")!;
      const baseT = targets.find((t) => t.db === db && t.tree === "base");
      console.log(`\n${db}${baseT ? " — new (this tree) against base (the older commit), same run, interleaved" : ""}`);
      console.log(
        "records  c  mode    |  rec/s new  base  ratio |  p50 ms new   base |  p99 ms new   base | new: db  core other | db ms core ms",
      );
      for (const { scenario, results } of table) {
        if (!results.has(newT)) continue;
        const n = results.get(newT)!;
        const b = baseT ? results.get(baseT)! : undefined;
        const ratio = b ? (n.recordsPerSecond / b.recordsPerSecond).toFixed(2).padStart(6) : "     –";
        console.log(
          `${String(scenario.records).padStart(7)}  ${scenario.concurrency}  ${scenario.mode.padEnd(7)} |` +
            ` ${f0(n.recordsPerSecond)}${b ? f0(b.recordsPerSecond) : "      –"} ${ratio} |` +
            ` ${f1(n.p50)}${b ? f1(b.p50) : "      –"} | ${f1(n.p99)}${b ? f1(b.p99) : "      –"} |` +
            (n.shares
              ? `     ${pct(n.shares.db)} ${pct(n.shares.core)}  ${pct(n.shares.other)} | ${f1(n.meanDb!)}${
                f1(n.meanCore!)
              }`
              : "      (no Server-Timing)"),
        );
      }
    }
    const pg = databases[0][0];
    const newPg = targets.find((t) => t.db === pg && t.tree === "new")!;
    const basePg = targets.find((t) => t.db === pg && t.tree === "base");
    if (basePg) {
      console.log("\nissue 10's targets (PostgreSQL, fresh batches, new/base records/s):");
      for (const [records, goal] of [[2000, 2.5], [50, 1.5]]) {
        for (const { scenario, results } of table) {
          if (scenario.records !== records || scenario.mode !== "fresh") continue;
          const ratio = results.get(newPg)!.recordsPerSecond / results.get(basePg)!.recordsPerSecond;
          console.log(
            `  ${records} records, c${scenario.concurrency}: ${ratio.toFixed(2)}× (goal ≥ ${goal}×) ${
              ratio >= goal ? "met" : "not met"
            }`,
          );
        }
      }
    }
    console.log(`\nbench:e2e took ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    for (const t of targets) await t.stop();
  }
}

await main();
