/**
 * Database ingest benchmark (`deno task bench:db`), in one run on one throwaway cluster
 * started by `bench/db-bench.sh` (which sets PGHOST/PGPORT/… and BENCH_DATABASES).
 *
 * Each database of BENCH_DATABASES holds one schema: `before` the migrations up to 026,
 * `after` all of them, `run_fk` (with `--levers`) up to 028 (run_id foreign keys kept). For
 * each batch — SDK-shaped mixes of 50, 2,000 and 10,000 records prepared by the wasm core
 * (sessions, runs, spans with parents, events), a 10,000-span parent chain and a bushy
 * 10,000-span tree — it times, interleaved round by round (databases and methods rotate):
 *   - rows: `private.ingest_prepared_rows` (036) on the batch as rows text (the core's
 *     `prepare_batch(…, "rows")`, what the endpoint sends), `after` only;
 *   - json: `private.ingest_batch_with_prompt_links` on the core's JSON lists, the write of
 *     every schema before 036;
 *   - COPY: psql's `\copy` of the same rows into the same tables (the practical limit);
 *   - floor: one statement of plain `INSERT … SELECT`s (data-modifying CTEs) of the same rows
 *     text, parsed and cast as 036's fast path does, with nothing else (no probe, check, merge
 *     or function layer), sent like the RPC, `after` only, fresh batches only: the lowest any
 *     INSERT-based SQL function can go (PostgreSQL 15's COPY inserts heap tuples in batches,
 *     INSERT one by one). Once per case, before timing, a rolled-back run checks that it
 *     writes exactly the batch's rows, the same as the RPC's (the bench throws if not);
 *   - the floor's parts, where the floor runs: bind (a statement that only receives the four
 *     lists as bind parameters) and write (the floor's INSERTs from temporary tables that
 *     already hold the parsed rows, parsed before the clock starts): COPY = write + COPY's
 *     parse, floor = bind + write + the SQL parse;
 *   - binary floor: the floor's INSERTs fed by typed arrays (one per column: uuid[],
 *     timestamptz[], text[], int4[], jsonb[], unnested) sent as binary bind parameters
 *     through npm:pg (which sends a Buffer in binary format; npm:postgres sends text only),
 *     `after` only, fresh batches only, checked like the floor: what an INSERT-based write
 *     costs when PostgreSQL receives values instead of text to parse (uuid_recv,
 *     timestamptz_recv: no splitting, no text to convert; jsonb still parses its JSON);
 *   - re-sent: each RPC a second time on the same batch (every row stored);
 * each inside a transaction that is rolled back, so the tables keep their state. The RPCs go
 * as the endpoint sends them (supabase/functions/_shared/pg_store.ts): bind parameters
 * through npm:postgres (text for rows, `$n::text::jsonb` for JSON lists), timed around the
 * call on the client, transfer included. First on empty tables, then on tables pre-filled
 * with set-based SQL (1M spans, 1M events, 100k runs, 10k sessions over 5 projects, the
 * benchmark's project among them). Per state it prints, for each case, RPC and COPY times,
 * RPC/COPY, and the floor's time, floor/COPY (= COPY ms / floor ms) and RPC/floor (= floor
 * ms / RPC ms: how close the RPC is to the floor); the issue's targets at the end give the
 * floor's ratios beside RPC/COPY. Then, with auto_explain on pre-filled tables, it counts the
 * statements per call and fails if any plan of the ingest path (fast path and reference)
 * scans sessions, runs, spans or events whole (Seq Scan), and it times the first call on a
 * new connection. Ids are random UUIDs (no collisions).
 */
import postgres from "npm:postgres@3.4.9";
import pg from "npm:pg@8.13.1";
import { Buffer } from "node:buffer";
import { binaryArray, type ElementType } from "./pg_binary.ts";
import { prepare_batch } from "../supabase/functions/_shared/core.ts";
import { INGEST_TYPED_SQL } from "../supabase/functions/_shared/store.ts";
import { BatchGenerator } from "./sdk_batch.ts";

const DATABASES = (Deno.env.get("BENCH_DATABASES") ?? "after").split(",");
/** BENCH_QUICK=1: empty tables only, no plans (for iterating on the SQL). */
const QUICK = Deno.env.get("BENCH_QUICK") === "1";
const FILL_PROJECTS = 5;
/** The benchmark's project: the first of the pre-fill's projects. */
const PROJECT = "00000000-0000-4000-8000-000000000001";
const FILL_SPANS_PER_RUN = 10;
const FILL_RUNS = 100_000;
const LISTS = ["sessions", "runs", "spans", "events"] as const;
const dir = await Deno.makeTempDir({ prefix: "northstar-db-bench-" });
const decoder = new TextDecoder();
const benchStart = performance.now();

/** Runs a psql script on one database; returns stdout and stderr. */
async function psql(db: string, script: string): Promise<{ out: string; err: string }> {
  const file = `${dir}/script-${db}.sql`;
  await Deno.writeTextFile(file, script);
  const res = await new Deno.Command("psql", { args: ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", file] })
    .output();
  const out = decoder.decode(res.stdout), err = decoder.decode(res.stderr);
  if (!res.success) throw new Error(`psql (${db}) failed: ${err.slice(0, 2000)}\n${out.slice(0, 500)}`);
  return { out, err };
}

/** A connection to one database as the endpoint opens it (one connection, no prepared
 * statements); `settings` are sent as startup parameters (server settings of the session). */
function connect(db: string, onnotice: (message: string) => void = () => {}, settings: Record<string, string> = {}) {
  return postgres({
    database: db,
    prepare: false,
    max: 1,
    fetch_types: false,
    onnotice: (notice) => onnotice(String(notice.message ?? "")),
    connection: settings,
  });
}
type Sql = ReturnType<typeof connect>;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const JSON_COLUMNS = new Set(["metadata", "error", "attributes", "content"]);
const COLUMNS: Record<string, string[]> = {
  sessions: ["id", "project_id", "created_at", "ended_at", "metadata"],
  runs: ["id", "session_id", "project_id", "name", "started_at", "ended_at", "status", "error", "metadata"],
  spans: [
    "id",
    "run_id",
    "project_id",
    "parent_span_id",
    "kind",
    "name",
    "started_at",
    "ended_at",
    "status",
    "error",
    "iteration",
    "attributes",
  ],
  events: ["id", "run_id", "span_id", "project_id", "type", "created_at", "content", "attributes"],
};
const DEFAULTS: Record<string, unknown> = { metadata: {}, attributes: {} };

/** A value as COPY's text format wants it (jsonb columns take JSON text). */
function copyValue(v: unknown, column: string): string {
  if (column === "content" && (v === undefined || v === null)) return "null";
  if (v === undefined || v === null) return "\\N";
  const text = typeof v === "string" && !JSON_COLUMNS.has(column) ? v : JSON.stringify(v);
  return text.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/** Each column's element type in the binary floor's arrays (the same in every table). */
const COLUMN_TYPES: Record<string, ElementType> = {
  id: "uuid",
  session_id: "uuid",
  run_id: "uuid",
  parent_span_id: "uuid",
  span_id: "uuid",
  created_at: "timestamptz",
  started_at: "timestamptz",
  ended_at: "timestamptz",
  name: "text",
  kind: "text",
  type: "text",
  status: "text",
  iteration: "int4",
  error: "jsonb",
  metadata: "jsonb",
  attributes: "jsonb",
  content: "jsonb",
};
/** The binary floor's columns of a table: its COLUMNS but the project (`$1`), in that order. */
const binaryColumns = (kind: (typeof LISTS)[number]) => COLUMNS[kind].filter((c) => c !== "project_id");

/** The four record lists of a prepared batch, each a text. */
type Lists = Record<(typeof LISTS)[number], string>;
/** A batch as the core prepares it for the database: JSON lists, rows text and binary columns. */
interface Both {
  lists: Lists;
  rows: Lists;
  /** `prepare_batch(…, "binary")`'s 30 columns, as the PostgreSQL store sends them. */
  typed: Buffer[];
}

function prepare(batch: unknown): Both {
  const body = new TextEncoder().encode(JSON.stringify(batch));
  const [lists, rows] = (["json", "rows"] as const).map((format) => {
    const prepared = prepare_batch(body, PROJECT, undefined, format);
    if (!prepared.ok) throw new Error(prepared.error);
    return { sessions: prepared.sessions, runs: prepared.runs, spans: prepared.spans, events: prepared.events };
  });
  const binary = prepare_batch(body, PROJECT, undefined, "binary");
  if (!binary.ok) throw new Error(binary.error);
  const typed = (binary.columns ?? []).map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return { lists, rows, typed };
}

/** One run with `spans` spans: a chain (each the parent of the next) or a tree of fan-out 8. */
function spanTree(spans: number, shape: "chain" | "bushy") {
  const session = crypto.randomUUID(), run = crypto.randomUUID();
  const ids = Array.from({ length: spans }, () => crypto.randomUUID());
  const t = "2025-03-01T12:00:00.000000Z";
  return {
    schema_version: 2,
    sessions: [{ id: session, created_at: t }],
    runs: [{ id: run, session_id: session, name: "tree", started_at: t, status: "ok" }],
    spans: ids.map((id, i) => ({
      id,
      run_id: run,
      ...(i > 0 ? { parent_span_id: ids[shape === "chain" ? i - 1 : Math.floor((i - 1) / 8)] } : {}),
      kind: i % 2 ? "tool" : "model",
      name: `step-${i}`,
      started_at: t,
      ended_at: t,
      status: "ok",
      attributes: { latency_ms: i },
    })),
    events: [],
    scores: [],
    prompt_links: [],
  };
}

const generator = new BatchGenerator(7);
interface Case {
  name: string;
  rounds: number;
  make: () => Both;
  databases?: string[];
}
const CASES: Case[] = [
  { name: "sdk 50", rounds: 21, make: () => prepare(generator.batchOfRecords(50)) },
  { name: "sdk 2,000", rounds: 7, make: () => prepare(generator.batchOfRecords(2_000)) },
  { name: "sdk 10,000", rounds: 5, make: () => prepare(generator.batchOfRecords(10_000)) },
  { name: "bushy 10,000 spans", rounds: 3, make: () => prepare(spanTree(9_998, "bushy")) },
  // `after` only: 006's recursive cycle walk is quadratic (about a minute at 10,000).
  { name: "chain 10,000 spans", rounds: 3, make: () => prepare(spanTree(9_998, "chain")), databases: ["after"] },
  { name: "chain 2,000 spans", rounds: 1, make: () => prepare(spanTree(1_998, "chain")) },
];

/** A batch ready for every method: JSON lists, rows text, COPY files under `prefix`, and
 * the ids of each list (for the floor's check). */
interface Prepared {
  lists: Lists;
  rows: Lists;
  typed: Buffer[];
  prefix: string;
  records: number;
  ids: Record<(typeof LISTS)[number], string[]>;
  /** The binary floor's bind parameters after the project: one binary array per column of
   * binaryColumns, list by list. */
  binary: Buffer[];
}

/** Writes a batch's COPY files under `prefix`. */
async function writeBatch({ lists, rows, typed }: Both, prefix: string): Promise<Prepared> {
  let records = 0;
  const ids = { sessions: [], runs: [], spans: [], events: [] } as Prepared["ids"];
  const binary: Buffer[] = [];
  for (const kind of LISTS) {
    const parsed = JSON.parse(lists[kind]) as Record<string, unknown>[];
    records += parsed.length;
    ids[kind] = parsed.map((r) => String(r.id));
    for (const column of binaryColumns(kind)) {
      binary.push(binaryArray(COLUMN_TYPES[column], parsed.map((r) => r[column] ?? DEFAULTS[column])));
    }
    const tsv = parsed.map((r) => COLUMNS[kind].map((c) => copyValue(r[c] ?? DEFAULTS[c], c)).join("\t")).join("\n");
    await Deno.writeTextFile(`${prefix}-${kind}.tsv`, parsed.length ? tsv + "\n" : "");
  }
  return { lists, rows, typed, prefix, records, ids, binary };
}

/**
 * What is timed: the endpoint's statement on binary columns (038, through npm:pg, as the
 * PostgreSQL store sends it), the one on rows text (036), the reference on JSON lists, COPY,
 * or the floor.
 */
type Method = "typed" | "rows" | "json" | "copy" | "floor" | "bind" | "write" | "binary";
/** The methods each database has (`typed` needs 038, `rows` 036; `floor` parses rows text as 036 does). */
const methodsOf = (db: string): Method[] =>
  db === "after" ? ["typed", "rows", "json", "copy", "floor", "bind", "write", "binary"] : ["json", "copy"];
/** The methods that run only where the floor does (fresh rows that a plain INSERT can write). */
const FLOOR_METHODS: Method[] = ["floor", "bind", "write", "binary"];

const ROWS_SQL = `SELECT private.ingest_prepared_rows($1::uuid, $2, $3, $4, $5, '[]', '[]', '[]')`;
const JSON_SQL =
  `SELECT private.ingest_batch_with_prompt_links($1::uuid, $2::text::jsonb, $3::text::jsonb, $4::text::jsonb, $5::text::jsonb, '[]')`;

/**
 * How 036's fast path parses each list of rows text (split by string_to_table and
 * string_to_array, cast field by field), as a SELECT of the table's columns in COLUMNS
 * order, every row stamped with the project id (`$1`); `list` is the list's parameter.
 */
const PARSE: Record<(typeof LISTS)[number], (list: string) => string> = {
  sessions: (list) =>
    `SELECT nullif(a[1], '')::uuid, $1::uuid, nullif(a[2], '')::timestamptz, nullif(a[3], '')::timestamptz,
    COALESCE(nullif(nullif(a[4], '')::jsonb, 'null'), '{}'::jsonb)
  FROM string_to_table(${list}, E'\\n') AS l, string_to_array(l, E'\\t') AS a`,
  runs: (list) =>
    `SELECT nullif(a[1], '')::uuid, nullif(a[2], '')::uuid, $1::uuid, nullif(a[3], '')::jsonb #>> '{}',
    nullif(a[4], '')::timestamptz, nullif(a[5], '')::timestamptz, nullif(a[6], ''),
    nullif(nullif(a[7], '')::jsonb, 'null'), COALESCE(nullif(nullif(a[8], '')::jsonb, 'null'), '{}'::jsonb)
  FROM string_to_table(${list}, E'\\n') AS l, string_to_array(l, E'\\t') AS a`,
  spans: (list) =>
    `SELECT nullif(a[1], '')::uuid, nullif(a[2], '')::uuid, $1::uuid, nullif(a[3], '')::uuid, nullif(a[4], ''),
    nullif(a[5], '')::jsonb #>> '{}', nullif(a[6], '')::timestamptz, nullif(a[7], '')::timestamptz,
    nullif(a[8], ''), nullif(nullif(a[9], '')::jsonb, 'null'), nullif(a[10], '')::integer,
    COALESCE(nullif(nullif(a[11], '')::jsonb, 'null'), '{}'::jsonb)
  FROM string_to_table(${list}, E'\\n') AS l, string_to_array(l, E'\\t') AS a`,
  events: (list) =>
    `SELECT a[1]::uuid, a[2]::uuid, nullif(a[3], '')::uuid, $1::uuid, a[4], a[5]::timestamptz,
    COALESCE(nullif(a[6], '')::jsonb, 'null'::jsonb), COALESCE(nullif(nullif(a[7], '')::jsonb, 'null'), '{}'::jsonb)
  FROM string_to_table(${list}, E'\\n') AS l, string_to_array(l, E'\\t') AS a`,
};

/** One statement of four INSERTs (data-modifying CTEs), each of `source(kind)` into its table. */
function insertAll(source: (kind: (typeof LISTS)[number]) => string): string {
  const insert = (k: (typeof LISTS)[number]) => `INSERT INTO private.${k} (${COLUMNS[k].join(", ")})\n${source(k)}`;
  return `WITH\n${LISTS.slice(0, 3).map((k) => `${k} AS (${insert(k)})`).join(",\n")}\n${insert("events")}`;
}

/**
 * The floor of any INSERT-based write of the rows: one statement of four plain `INSERT …
 * SELECT` (data-modifying CTEs) from the same rows text, parsed exactly as 036's fast path
 * (ingest_rows_fast) parses it (PARSE), and nothing else: no probe of stored ids, no
 * check, no merge, no function call, no subtransaction. What it still pays is what the tables
 * make every writer pay (indexes, the remaining foreign-key triggers, heap inserts tuple by
 * tuple: PostgreSQL 15's COPY uses heap multi-insert, INSERT does not). Fresh rows only: a
 * stored or repeated id raises unique_violation.
 */
const FLOOR_SQL = insertAll((k) => PARSE[k](`$${LISTS.indexOf(k) + 2}`));

/**
 * The floor taken apart (after only, fresh batches, where the floor runs), to show where an
 * INSERT-based write spends what COPY does not:
 *   - bind: a statement that only receives the four lists as the RPC's bind parameters
 *     (`octet_length` of each): the transfer, and PostgreSQL reading one message of that
 *     size, checking its encoding and copying each parameter;
 *   - write: the four INSERTs from temporary tables that already hold the parsed rows
 *     (parsed by PARSE before the clock starts, in the same transaction): the cost of the
 *     rows themselves (heap, indexes, WAL, foreign keys), with no parsing at all.
 * COPY pays the write and its own parse of the same text; the floor pays the bind, the
 * write and the parse by SQL functions.
 */
const BIND_SQL =
  `SELECT $1::uuid AS project, octet_length($2) + octet_length($3) + octet_length($4) + octet_length($5) AS bytes`;
const WRITE_SQL = insertAll((k) => `SELECT ${COLUMNS[k].join(", ")} FROM pg_temp.bench_${k}`);

/**
 * `write` on batch `b`: the parsed rows go into temporary tables first, untimed; then the
 * timed INSERTs, then `then` (in the same transaction, before it is rolled back).
 * Milliseconds of the INSERTs, and what `then` returns.
 */
async function runWrite<T>(sql: Sql, b: Prepared, then: () => Promise<T>): Promise<[number, T]> {
  await sql.unsafe("BEGIN");
  try {
    for (const k of LISTS) {
      await sql.unsafe(
        `CREATE TEMP TABLE bench_${k} ON COMMIT DROP AS SELECT * FROM (${PARSE[k]("$2")}) AS p(${
          COLUMNS[k].join(", ")
        })`,
        [PROJECT, b.rows[k]],
      );
    }
    const t0 = performance.now();
    await sql.unsafe(WRITE_SQL);
    const ms = performance.now() - t0;
    return [ms, await then()];
  } finally {
    await sql.unsafe("ROLLBACK");
  }
}
const timeWrite = async (sql: Sql, b: Prepared) => (await runWrite(sql, b, () => Promise.resolve(null)))[0];

/**
 * The binary floor: the floor's INSERTs (one statement, data-modifying CTEs) from the typed
 * columns of binaryColumns, each a binary array parameter, unnested together; the project
 * is `$1`, and events.content is JSON null when absent (as the floor's text has it).
 */
const BINARY_SQL = (() => {
  let n = 2;
  return insertAll((k) => {
    const select = COLUMNS[k].map((c) =>
      c === "project_id" ? "$1::uuid" : c === "content" ? `coalesce(c.${c}, 'null')` : `c.${c}`
    );
    const params = binaryColumns(k).map((c) => `$${n++}::${COLUMN_TYPES[c]}[]`);
    return `SELECT ${select.join(", ")} FROM unnest(${params.join(", ")}) AS c(${binaryColumns(k).join(", ")})`;
  });
})();

/** A connection of npm:pg (binary parameters) to `after`, with the floor's work_mem. */
async function binaryConnect(): Promise<pg.Client> {
  const client = new pg.Client({ database: "after", options: "-c work_mem=64MB" });
  await client.connect();
  return client;
}

/** The binary floor on batch `b`, then `then`, in a rolled-back transaction: ms and what `then` returns. */
async function runBinary<T>(client: pg.Client, b: Prepared, then: () => Promise<T>): Promise<[number, T]> {
  await client.query("BEGIN");
  try {
    const t0 = performance.now();
    await client.query(BINARY_SQL, [PROJECT, ...b.binary]);
    const ms = performance.now() - t0;
    return [ms, await then()];
  } finally {
    await client.query("ROLLBACK");
  }
}

/** The typed ingest statement as the store sends it (no prompt links, scores or warnings). */
const TYPED_VALUES = (b: Prepared) => [PROJECT, ...b.typed, "[]", "[]", "[]"];

/** Milliseconds of one typed call (the second of two when `resend`) on npm:pg, in a rolled-back transaction. */
async function timeTyped(client: pg.Client, b: Prepared, resend: boolean): Promise<number> {
  await client.query("BEGIN");
  try {
    if (resend) await client.query(INGEST_TYPED_SQL, TYPED_VALUES(b));
    const t0 = performance.now();
    await client.query(INGEST_TYPED_SQL, TYPED_VALUES(b));
    return performance.now() - t0;
  } finally {
    await client.query("ROLLBACK");
  }
}

/** The statement that `method` sends, with its bind parameters (the project id, then the four lists). */
type Sent = "rows" | "json" | "floor" | "bind";

/** One RPC as the endpoint sends a big batch (bind parameters), or the floor sent the same way. */
async function call(sql: Sql, method: Sent, b: Prepared): Promise<void> {
  const lists = method === "json" ? b.lists : b.rows;
  const text = method === "rows" ? ROWS_SQL : method === "json" ? JSON_SQL : method === "bind" ? BIND_SQL : FLOOR_SQL;
  await sql.unsafe(text, [PROJECT, ...LISTS.map((k) => lists[k])]);
}

/** Milliseconds of one RPC (the second of two when `resend`), in a rolled-back transaction. */
async function timeCall(sql: Sql, method: Sent, b: Prepared, resend: boolean): Promise<number> {
  await sql.unsafe("BEGIN");
  try {
    if (resend) await call(sql, method, b);
    const t0 = performance.now();
    await call(sql, method, b);
    return performance.now() - t0;
  } finally {
    await sql.unsafe("ROLLBACK");
  }
}

/** Milliseconds of psql's `\copy` of the batch's four files (the sum of psql's timings). */
async function timeCopy(db: string, b: Prepared): Promise<number> {
  const script = [
    "BEGIN;",
    "\\timing on",
    ...LISTS.map((k) => `\\copy private.${k} (${COLUMNS[k].join(", ")}) FROM '${b.prefix}-${k}.tsv'`),
    "\\timing off",
    "ROLLBACK;",
  ].join("\n") + "\n";
  const { out } = await psql(db, script);
  return [...out.matchAll(/^Time: ([0-9.]+) ms/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** A statement runner on npm:pg's connection, in the shape of npm:postgres's `unsafe`. */
interface Query {
  unsafe(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
}
const queryOf = (client: pg.Client): Query => ({
  unsafe: async (text, params) => (await client.query(text, params)).rows,
});

/** Each table's rows of the batch's ids: how many, and an md5 of their text in id order. */
async function storedRows(sql: Sql | Query, b: Prepared): Promise<{ count: number; md5: string }[]> {
  const out = [];
  for (const kind of LISTS) {
    const [row] = await sql.unsafe(
      `SELECT count(*)::int AS count, coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t.id)), '') AS md5
       FROM private.${kind} t WHERE t.id = ANY (string_to_array($1, ',')::uuid[])`,
      [b.ids[kind].join(",")],
    );
    out.push({ count: Number(row.count), md5: String(row.md5) });
  }
  return out;
}

/** Rows of each table, all projects. */
async function tableCounts(sql: Sql | Query): Promise<number[]> {
  const [row] = await sql.unsafe(
    `SELECT ${LISTS.map((k) => `(SELECT count(*) FROM private.${k})::bigint AS ${k}`).join(", ")}`,
  );
  return LISTS.map((k) => Number(row[k]));
}

/** Throws unless `what` rows added exactly the batch's rows to each table (`added`, and all of
 * the batch's ids in `byIds`), the same as the RPC's (`byRpc`) column for column. */
function expectRpcRows(
  what: string,
  name: string,
  b: Prepared,
  added: number[],
  byIds: { count: number; md5: string }[],
  byRpc: { count: number; md5: string }[],
) {
  LISTS.forEach((kind, i) => {
    const want = b.ids[kind].length;
    if (added[i] !== want || byIds[i].count !== want) {
      throw new Error(
        `floor check, ${name}: ${what} ${kind}: +${added[i]} rows, ${byIds[i].count} of the batch's ids; want ${want}`,
      );
    }
    if (byIds[i].md5 !== byRpc[i].md5 || byRpc[i].count !== want) {
      throw new Error(`floor check, ${name}: ${what} ${kind} rows differ from the RPC's`);
    }
  });
}

/**
 * Before a case is timed: does the floor write exactly the rows of the batch? In rolled-back
 * transactions, the RPC (rows) and the floor each write the batch; each table must then hold
 * as many more rows as the batch has records of it, all of the batch's ids, and the floor's
 * rows must be the RPC's, column for column; so must the rows of its `write` part. Throws if
 * not. Returns false, with no timing of the floor (or its parts) for this case, when the rows
 * conflict (a stored or repeated id: unique_violation), which a plain INSERT cannot write.
 */
async function checkFloor(rpc: Sql, floor: Sql, b: Prepared, name: string): Promise<boolean> {
  await rpc.unsafe("BEGIN");
  let byRpc;
  try {
    await call(rpc, "rows", b);
    byRpc = await storedRows(rpc, b);
  } finally {
    await rpc.unsafe("ROLLBACK");
  }
  await floor.unsafe("BEGIN");
  try {
    const before = await tableCounts(floor);
    try {
      await call(floor, "floor", b);
    } catch (e) {
      if ((e as { code?: string }).code === "23505") {
        console.log(`floor skipped for ${name}: its fresh rows conflict (${(e as Error).message})`);
        return false;
      }
      throw e;
    }
    const after = await tableCounts(floor);
    expectRpcRows(`the floor's`, name, b, after.map((n, i) => n - before[i]), await storedRows(floor, b), byRpc);
  } finally {
    await floor.unsafe("ROLLBACK");
  }
  // The floor's `write` part: the same rows, from the parsed temporary tables.
  const before = await tableCounts(floor);
  const [, [after, byWrite]] = await runWrite(
    floor,
    b,
    async () => [await tableCounts(floor), await storedRows(floor, b)] as const,
  );
  expectRpcRows("the write part's", name, b, after.map((n, i) => n - before[i]), byWrite, byRpc);
  // The binary floor: the same rows from the typed binary parameters.
  const query = queryOf(binaryConnection);
  const beforeBinary = await tableCounts(query);
  const [, [afterBinary, byBinary]] = await runBinary(
    binaryConnection,
    b,
    async () => [await tableCounts(query), await storedRows(query, b)] as const,
  );
  expectRpcRows("the binary floor's", name, b, afterBinary.map((n, i) => n - beforeBinary[i]), byBinary, byRpc);
  return true;
}

interface Row {
  state: string;
  batch: string;
  db: string;
  method: Method;
  records: number;
  ms: number;
  resend: number;
}
const results: Row[] = [];
const connections = new Map<string, Sql>(DATABASES.map((db) => [db, connect(db)]));
/** The floor's own connection to `after`, with the work_mem that 036's fast path sets for
 * itself (its string_to_table tuplestores stay in memory), so the floor is not slowed by
 * spilling what the RPC keeps in memory; the RPC's connection keeps the defaults. */
const floorConnection = connect("after", undefined, { work_mem: "64MB" });
const binaryConnection = await binaryConnect();
/** The typed RPC's connection (npm:pg, default settings: the functions set their own). */
const typedConnection = new pg.Client({ database: "after" });
await typedConnection.connect();
{
  const [{ work_mem }] = await floorConnection.unsafe("SHOW work_mem");
  if (work_mem !== "64MB") throw new Error(`the floor's connection has work_mem ${work_mem}, not 64MB`);
}

/** Rotates a list by `n` (interleaving: each round starts with another entry). */
const rotate = <T>(xs: T[], n: number): T[] => xs.map((_, i) => xs[(i + n) % xs.length]);

async function measure(state: string) {
  for (const c of CASES) {
    const dbs = DATABASES.filter((db) => !c.databases || c.databases.includes(db));
    const times = new Map<string, { fresh: number[]; resend: number[] }>();
    let records = 0, floor = dbs.includes("after");
    for (let round = 0; round < c.rounds; round++) {
      const prefix = `${dir}/${c.name.replace(/[^a-z0-9]/gi, "")}-${round}`;
      const b = await writeBatch(c.make(), prefix);
      records = b.records;
      if (round === 0 && floor) floor = await checkFloor(connections.get("after")!, floorConnection, b, c.name);
      // Databases and methods rotate round by round; re-sends after the fresh calls.
      const order = rotate(dbs, round).flatMap((db) =>
        rotate(methodsOf(db).filter((m) => !FLOOR_METHODS.includes(m) || floor), round).map((m) => [db, m] as const)
      );
      for (const resend of [false, true]) {
        for (const [db, method] of order) {
          // COPY and the floor write fresh rows only (a re-send would conflict).
          if (resend && (method === "copy" || FLOOR_METHODS.includes(method))) continue;
          const key = `${db}/${method}`;
          if (!times.has(key)) times.set(key, { fresh: [], resend: [] });
          const ms = method === "copy"
            ? await timeCopy(db, b)
            : method === "typed"
            ? await timeTyped(typedConnection, b, resend)
            : method === "write"
            ? await timeWrite(floorConnection, b)
            : method === "binary"
            ? (await runBinary(binaryConnection, b, () => Promise.resolve(null)))[0]
            : await timeCall(
              FLOOR_METHODS.includes(method) ? floorConnection : connections.get(db)!,
              method,
              b,
              resend,
            );
          times.get(key)![resend ? "resend" : "fresh"].push(ms);
        }
      }
    }
    for (const db of dbs) {
      for (const method of methodsOf(db)) {
        const t = times.get(`${db}/${method}`);
        if (!t) continue; // the floor (and its parts), skipped for this case
        results.push({
          state,
          batch: c.name,
          db,
          method,
          records,
          ms: median(t.fresh),
          resend: t.resend.length ? median(t.resend) : NaN,
        });
      }
    }
  }
}

function fmt(n: number, digits = 0) {
  if (Number.isNaN(n)) return "";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const get = (state: string, batch: string, db: string, method: Method) =>
  results.find((r) => r.state === state && r.batch === batch && r.db === db && r.method === method);

function printResults(state: string) {
  console.log(
    `\n== ${state} tables: median of the rounds; rows/s = records / time; RPC/COPY = ratio of rows/s (COPY of the same database, same run); floor = plain INSERT … SELECT of the same rows text (after only): floor/COPY = COPY ms / floor ms, RPC/floor = floor ms / RPC ms; the floor's parts: bind = receiving the lists as bind parameters, nothing else; write = the INSERTs of rows already parsed (no parsing at all); binary floor = the floor's INSERTs from typed columns sent as binary bind parameters (npm:pg), binary/COPY = COPY ms / binary floor ms`,
  );
  console.table(
    results.filter((r) => r.state === state && ["typed", "rows", "json"].includes(r.method)).map((r) => {
      const copy = get(state, r.batch, r.db, "copy")!;
      const floor = get(state, r.batch, r.db, "floor");
      const bind = r.method === "rows" ? get(state, r.batch, r.db, "bind") : undefined;
      const write = r.method === "rows" ? get(state, r.batch, r.db, "write") : undefined;
      const binary = r.method === "typed" ? get(state, r.batch, r.db, "binary") : undefined;
      return {
        batch: r.batch,
        db: r.db,
        rpc: r.method === "typed" ? "typed (038)" : r.method === "rows" ? "rows (036)" : "json",
        "RPC ms": fmt(r.ms, 1),
        "RPC rows/s": fmt(r.records / r.ms * 1000),
        "COPY ms": fmt(copy.ms, 1),
        "COPY rows/s": fmt(r.records / copy.ms * 1000),
        "RPC/COPY": fmt(copy.ms / r.ms, 2),
        "µs/record": fmt(r.ms * 1000 / r.records, 1),
        "re-sent ms": fmt(r.resend, 1),
        "re-sent/COPY": fmt(copy.ms / r.resend, 2),
        "floor ms": floor ? fmt(floor.ms, 1) : "",
        "floor/COPY": floor ? fmt(copy.ms / floor.ms, 2) : "",
        "RPC/floor": floor ? fmt(floor.ms / r.ms, 2) : "",
        "bind ms": bind ? fmt(bind.ms, 1) : "",
        "write ms": write ? fmt(write.ms, 1) : "",
        "binary floor ms": binary ? fmt(binary.ms, 1) : "",
        "binary/COPY": binary ? fmt(copy.ms / binary.ms, 2) : "",
      };
    }),
  );
}

// ------------------------------------------------------------------ run
for (const db of DATABASES) {
  await psql(
    db,
    `INSERT INTO private.projects (id, name) SELECT ('00000000-0000-4000-8000-' || lpad(p::text, 12, '0'))::uuid, 'bench ' || p FROM generate_series(1, ${FILL_PROJECTS}) p;`,
  );
}
console.log(`databases: ${DATABASES.join(", ")} (before = migrations ≤ 026, after = all)`);
await measure("empty");
printResults("empty");
if (QUICK) {
  for (const sql of connections.values()) await sql.end();
  await floorConnection.end();
  await binaryConnection.end();
  await typedConnection.end();
  await Deno.remove(dir, { recursive: true });
  Deno.exit(0);
}

// Pre-fill, set-based (foreign-key triggers off for the fill only: the rows are consistent
// by construction), then ANALYZE as autovacuum would.
const fill = `
SET session_replication_role = replica;
INSERT INTO private.sessions (id, project_id, created_at, metadata)
SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad((1 + s % ${FILL_PROJECTS})::text, 12, '0'))::uuid,
  timestamptz '2025-01-01' + s * interval '1 minute', '{"source": "fill"}'
FROM generate_series(1, ${FILL_RUNS / 10}) s;
INSERT INTO private.runs (id, session_id, project_id, name, started_at, ended_at, status, metadata)
SELECT gen_random_uuid(), s.id, s.project_id, 'fill-agent', s.created_at + i * interval '1 s',
  s.created_at + i * interval '1 s' + interval '2 s', 'ok', '{"cost_usd": 0.0025, "total_input_tokens": 200}'
FROM private.sessions s, generate_series(1, 10) i;
INSERT INTO private.spans (id, run_id, project_id, parent_span_id, kind, name, started_at, ended_at, status, attributes)
SELECT md5(r.id::text || i)::uuid, r.id, r.project_id, CASE WHEN i > 1 THEN md5(r.id::text || 1)::uuid END,
  CASE WHEN i = 1 THEN 'agent' WHEN i % 2 = 0 THEN 'model' ELSE 'tool' END, 'step', r.started_at + i * interval '1 ms',
  r.started_at + i * interval '2 ms', 'ok',
  CASE WHEN i % 2 = 0 THEN '{"model": "gpt-4o", "input_tokens": 100, "output_tokens": 25, "cost_usd": 0.00125}'::jsonb
       ELSE '{"tool_type": "http", "latency_ms": 95}'::jsonb END
FROM private.runs r, generate_series(1, ${FILL_SPANS_PER_RUN}) i;
INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
SELECT gen_random_uuid(), r.id, CASE WHEN i > 1 THEN md5(r.id::text || i)::uuid END, r.project_id,
  CASE WHEN i = 1 THEN 'user_input' WHEN i % 2 = 0 THEN 'assistant_message' ELSE 'tool_result' END,
  r.started_at + i * interval '1 ms', to_jsonb('the agent looked up the current api documentation and summarized ' || i), '{}'
FROM private.runs r, generate_series(1, ${FILL_SPANS_PER_RUN}) i;
RESET session_replication_role;
ANALYZE private.sessions, private.runs, private.spans, private.events;
`;
for (const db of DATABASES) {
  const t0 = performance.now();
  await psql(db, fill);
  const counts = (await psql(
    db,
    `\\pset tuples_only on\nSELECT (SELECT count(*) FROM private.spans) || ' spans, ' || (SELECT count(*) FROM private.events) || ' events, ' || (SELECT count(*) FROM private.runs) || ' runs';`,
  )).out.trim();
  console.log(
    `\npre-fill of ${db}: ${counts} in ${fmt((performance.now() - t0) / 1000, 1)} s (set-based INSERT … SELECT)`,
  );
}
await measure("pre-filled");
printResults("pre-filled");

// ------------------------------------------------------------------ plans and statements
// auto_explain sends every executed plan of the ingest path (nested statements included)
// as a NOTICE: 7 fresh calls of 50 records (plpgsql switches to generic plans after 5), one
// of 10,000 records, then re-sends of a 50- and a 2,000-record batch (the new function's
// reference path), in one session, on pre-filled tables.
console.log("\n== plans on pre-filled tables (auto_explain, nested statements)");
const explainBatches: { batch: Prepared; resend: boolean }[] = [];
for (let i = 0; i < 7; i++) {
  explainBatches.push({
    batch: await writeBatch(prepare(generator.batchOfRecords(50)), `${dir}/explain-small-${i}`),
    resend: false,
  });
}
explainBatches.push({
  batch: await writeBatch(prepare(generator.batchOfRecords(10_000)), `${dir}/explain-large`),
  resend: false,
});
explainBatches.push({
  batch: await writeBatch(prepare(generator.batchOfRecords(50)), `${dir}/explain-resend-small`),
  resend: true,
});
explainBatches.push({
  batch: await writeBatch(prepare(generator.batchOfRecords(2_000)), `${dir}/explain-resend`),
  resend: true,
});
let seqScanFound = false;
for (const db of DATABASES) {
  // The function each schema's endpoint calls: 036's on `after`, the JSON one before it.
  const method = db === "after" ? "rows" : "json";
  const notices: string[] = [];
  const sql = connect(db, (message) => notices.push(message));
  await sql.unsafe("LOAD 'auto_explain'");
  await sql.unsafe("SET auto_explain.log_min_duration = 0");
  await sql.unsafe("SET auto_explain.log_nested_statements = on");
  await sql.unsafe("SET auto_explain.log_level = notice");
  await sql.unsafe("SET client_min_messages = notice");
  const perCall: string[] = [];
  let scans: string[] = [];
  for (const { batch, resend } of explainBatches) {
    await sql.unsafe("BEGIN");
    if (resend) await call(sql, method, batch);
    notices.length = 0;
    await call(sql, method, batch);
    await sql.unsafe("ROLLBACK");
    // Every call logs its nested statements, then the top-level SELECT (bind parameters:
    // `$1::uuid`). Foreign-key checks (`SELECT 1 FROM ONLY …`, one per inserted row) apart.
    const plans = notices.filter((n) => n.startsWith("duration:"));
    let statements = 0, keyChecks = 0;
    for (const plan of plans) {
      if (/Query Text: SELECT private\.\w+\(\$1::uuid/.test(plan)) continue;
      if (/Query Text: SELECT 1 FROM ONLY/.test(plan)) keyChecks++;
      else statements++;
    }
    perCall.push(`${statements}+${keyChecks}${resend ? " (re-sent)" : ""}`);
    scans = scans.concat(plans.filter((p) => /Seq Scan on (sessions|runs|spans|events)\b/.test(p)));
  }
  await sql.end();
  if (scans.length && db === "after") seqScanFound = true;
  console.log(
    `${db} (${
      method === "rows" ? "ingest_prepared_rows" : "ingest_batch_with_prompt_links"
    }): statements per call + foreign-key check queries (nested, top-level SELECT excluded): ${
      perCall.join(", ")
    } (7 × 50 records, 10,000, then 50 and 2,000 re-sent); plans with a Seq Scan on sessions/runs/spans/events: ${scans.length}`,
  );
  for (const s of scans.slice(0, 3)) console.log(s.split("\n").slice(0, 25).join("\n"));
}

// The read models (012–016, 022, 023) on the same pre-filled tables: index-served too.
console.log("\n== read models on pre-filled tables (auto_explain, nested statements)");
for (const db of DATABASES) {
  const { err } = await psql(
    db,
    `SELECT id AS sid FROM private.sessions WHERE project_id = '${PROJECT}' LIMIT 1 \\gset
SELECT id AS rid FROM private.runs WHERE session_id = :'sid' LIMIT 1 \\gset
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET ROLE service_role;
SELECT count(*) FROM public.dashboard_get_session('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_list_traces('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_get_trace('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_list_session_tool_calls('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_list_trace_tool_calls('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_list_trace_events('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_list_trace_spans('${PROJECT}', :'rid');
SELECT count(*) FROM public.dashboard_session_cost('${PROJECT}', :'sid');
SELECT count(*) FROM public.dashboard_project_cost_summary('${PROJECT}', '2025-01-20');
`,
  );
  const plans = err.split(/NOTICE: {2}duration:/).slice(1);
  const scans = plans.filter((p) => /Seq Scan on (sessions|runs|spans|events)\b/.test(p));
  if (scans.length && db === "after") seqScanFound = true;
  const indexes = [...new Set([...err.matchAll(/(?:Index Scan using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]))];
  console.log(
    `${db}: ${plans.length} plans; Seq Scan on sessions/runs/spans/events: ${scans.length}; indexes used: ${
      indexes.sort().join(", ")
    }`,
  );
  for (const s of scans.slice(0, 2)) console.log(s.split("\n").slice(0, 25).join("\n"));
}

// ------------------------------------------------------------------ first call
console.log("\n== first call on a new connection (50 records; median of 3 connections), pre-filled tables");
for (const db of DATABASES) {
  const method = db === "after" ? "rows" : "json";
  const first: number[] = [], second: number[] = [];
  for (let i = 0; i < 3; i++) {
    const a = await writeBatch(prepare(generator.batchOfRecords(50)), `${dir}/first-${db}-${i}-a`);
    const b = await writeBatch(prepare(generator.batchOfRecords(50)), `${dir}/first-${db}-${i}-b`);
    const sql = connect(db);
    await sql.unsafe("SELECT 1"); // the connection itself is not what is measured
    first.push(await timeCall(sql, method, a, false));
    second.push(await timeCall(sql, method, b, false));
    await sql.end();
  }
  console.log(`${db} (${method}): first call ${fmt(median(first), 1)} ms, second call ${fmt(median(second), 1)} ms`);
}

// ------------------------------------------------------------------ targets
console.log("\n== issue 10 targets (after, the endpoint's statement ingest_prepared_typed on binary columns)");
for (const state of ["empty", "pre-filled"]) {
  for (const batch of ["sdk 2,000", "sdk 10,000"]) {
    const r = get(state, batch, "after", "typed"), copy = get(state, batch, "after", "copy");
    const floor = get(state, batch, "after", "floor");
    if (r && copy) {
      console.log(
        `RPC/COPY ≥ 0.9, ${batch}, ${state}: ${fmt(copy.ms / r.ms, 2)}${
          floor
            ? `   (floor, plain INSERT … SELECT: floor/COPY ${fmt(copy.ms / floor.ms, 2)}, RPC/floor ${
              fmt(floor.ms / r.ms, 2)
            })`
            : ""
        }`,
      );
      const bind = get(state, batch, "after", "bind"), write = get(state, batch, "after", "write");
      if (floor && bind && write) {
        // COPY = write + COPY's parse; floor = bind + write + the SQL parse.
        console.log(
          `    COPY ${fmt(copy.ms, 1)} ms = write ${fmt(write.ms, 1)} + COPY's parse ${fmt(copy.ms - write.ms, 1)}; ` +
            `floor ${fmt(floor.ms, 1)} ms = bind ${fmt(bind.ms, 1)} + write ${fmt(write.ms, 1)} + SQL parse ${
              fmt(floor.ms - bind.ms - write.ms, 1)
            }; the bind alone is ${fmt(bind.ms / copy.ms * 100, 0)}% of COPY`,
        );
      }
      const binary = get(state, batch, "after", "binary");
      if (floor && binary) {
        console.log(
          `    binary floor (typed columns as binary bind parameters): ${fmt(binary.ms, 1)} ms, binary/COPY ${
            fmt(copy.ms / binary.ms, 2)
          }, ${fmt(floor.ms / binary.ms, 2)}× the text floor's speed`,
        );
      }
    }
  }
}
const r2 = get("pre-filled", "sdk 2,000", "after", "typed"), r10 = get("pre-filled", "sdk 10,000", "after", "typed");
if (r2 && r10) {
  console.log(
    `µs/record at 10,000 ≤ 1.2 × at 2,000, pre-filled: ${fmt(r10.ms * 1000 / r10.records, 1)} vs ${
      fmt(r2.ms * 1000 / r2.records, 1)
    } → ${fmt((r10.ms / r10.records) / (r2.ms / r2.records), 2)}×`,
  );
}
for (const state of ["empty", "pre-filled"]) {
  const chain = get(state, "chain 10,000 spans", "after", "typed"),
    bushy = get(state, "bushy 10,000 spans", "after", "typed");
  if (chain && bushy) {
    console.log(`chain 10,000 ≤ 2 × bushy 10,000 per record, ${state}: ${fmt(chain.ms / bushy.ms, 2)}×`);
  }
}
/** Prints, case by case, `against`'s time / `method`'s on `after`, fresh and re-sent (same run). */
function compareMethods(method: Method, against: Method, title: string) {
  console.log(`\n== ${title} on after: ${against} time / ${method} time (same run; > 1 means ${method} is faster)`);
  for (const state of ["empty", "pre-filled"]) {
    for (const c of CASES) {
      const a = get(state, c.name, "after", method), b = get(state, c.name, "after", against);
      if (a && b) {
        console.log(
          `${state.padEnd(10)} ${c.name.padEnd(20)} fresh ${fmt(b.ms / a.ms, 2)}×   re-sent ${
            fmt(b.resend / a.resend, 2)
          }×`,
        );
      }
    }
  }
}
compareMethods("typed", "rows", "typed (038) vs rows (036)");
compareMethods("rows", "json", "rows (036) vs json");
for (const other of DATABASES.filter((db) => db !== "after")) {
  console.log(
    `\n== after (rows, 036) vs ${other} (json): RPC time of ${other} / RPC time of after (same run; > 1 means after is faster)`,
  );
  for (const state of ["empty", "pre-filled"]) {
    for (const c of CASES) {
      const a = get(state, c.name, "after", "rows"), b = get(state, c.name, other, "json");
      const ac = get(state, c.name, "after", "copy"), bc = get(state, c.name, other, "copy");
      if (a && b && ac && bc) {
        console.log(
          `${state.padEnd(10)} ${c.name.padEnd(20)} fresh ${fmt(b.ms / a.ms, 2)}×   re-sent ${
            fmt(b.resend / a.resend, 2)
          }×   COPY ${fmt(bc.ms / ac.ms, 2)}×`,
        );
      }
    }
  }
}
for (const sql of connections.values()) await sql.end();
await floorConnection.end();
await binaryConnection.end();
await typedConnection.end();
console.log(`\nbench:db took ${fmt((performance.now() - benchStart) / 1000, 0)} s`);
await Deno.remove(dir, { recursive: true });
if (seqScanFound) {
  console.error("a plan of the new ingest path scans a whole table (see above)");
  Deno.exit(1);
}
