/**
 * Peak memory of one whole ingest request against body size: for each size and body
 * shape, a fresh `bench/memory_server.ts` process (the real handler on PostgreSQL) gets one
 * batch of that size, then reports its peak resident memory (VmHWM). Run by
 * `bash bench/memory.sh`, which starts a throwaway PostgreSQL with every migration.
 *
 * Shapes: `ascii` — events whose content is a 256 KiB ASCII string (the SDK's large tool
 * outputs); `utf8` — the same with non-ASCII text (V8 then holds the lists as two-byte
 * strings); `records` — 10,000 records (the record limit) sharing the bytes.
 *
 * @module
 */
import postgres from "npm:postgres@3.4.9";
import { hash_api_key } from "../supabase/functions/_shared/core.ts";

const MIB = 1024 * 1024;
const url = Deno.env.get("SUPABASE_DB_URL");
if (!url) throw new Error("SUPABASE_DB_URL is not set");
const sizes = (Deno.env.get("NS_MEMORY_SIZES") ?? "1,8,16,32,48,64").split(",").map(Number);
const shapes = ["ascii", "utf8", "records"] as const;
const PROJECT = "aaaaaaaa-0000-4000-8000-00000000beef";
const KEY = "ns_memory_bench_key";
/** Records of the `records` shape (NS_MEMORY_RECORDS, default the default record limit). */
const RECORDS = Number(Deno.env.get("NS_MEMORY_RECORDS") ?? 10_000);

const sql = postgres(url, { onnotice: () => {}, max: 1 });
await sql`SELECT public.create_or_rotate_project_api_key(${PROJECT}, 'bench', gen_random_uuid(), ${hash_api_key(KEY)})`;

let serial = 0;
function uuid(): string {
  serial++;
  const hex = serial.toString(16).padStart(12, "0");
  return `${crypto.randomUUID().slice(0, 24)}${hex}`;
}

/** A batch of about `bytes` bytes: one session and run, then events carrying the bytes. */
function batch(shape: typeof shapes[number], bytes: number): Uint8Array {
  const session = uuid(), run = uuid();
  const at = "2025-03-01T12:00:00.000000Z";
  const count = shape === "records" ? RECORDS - 2 : Math.max(1, Math.round(bytes / (256 * 1024)));
  const unit = shape === "utf8" ? "données é 中文 " : "tool output data ";
  const perEvent = Math.max(16, Math.floor(bytes / count) - 200);
  const text = unit.repeat(Math.ceil(perEvent / new TextEncoder().encode(unit).length)).slice(0, perEvent);
  const events = [];
  for (let i = 0; i < count; i++) {
    events.push({ id: uuid(), run_id: run, type: "tool_result", created_at: at, content: text, attributes: {} });
  }
  return new TextEncoder().encode(JSON.stringify({
    schema_version: 2,
    sessions: [{ id: session, created_at: at, metadata: {} }],
    runs: [{ id: run, session_id: session, name: "memory", started_at: at, status: "ok", metadata: {} }],
    spans: [],
    events,
    scores: [],
    prompt_links: [],
  }));
}

async function measure(body: Uint8Array): Promise<{ status: number; peakMb: number; rssMb: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    // All access: Deno gives /proc/self/status only with --allow-all.
    args: ["run", "--allow-all", "bench/memory_server.ts"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let first = "";
  while (!first.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("server exited before listening");
    first += value;
  }
  const port = Number(first.trim().split("\n")[0]);
  const base = `http://127.0.0.1:${port}`;
  const res = await fetch(`${base}/functions/v1/ingest-traces`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: body as BodyInit,
  });
  const answer = await res.text();
  if (res.status !== 200) console.error(`  status ${res.status}: ${answer.slice(0, 200)}`);
  const memory = await (await fetch(`${base}/__memory`)).json();
  reader.cancel().catch(() => {});
  await child.status;
  return { status: res.status, peakMb: memory.vmhwm_kb / 1024, rssMb: memory.vmrss_kb / 1024 };
}

const deadline = Date.now() + 9 * 60_000;
console.log("body MiB  shape    status  peak RSS MB  peak/body");
const rows: string[] = [];
for (const size of sizes) {
  for (const shape of shapes) {
    if (Date.now() > deadline) break;
    const body = batch(shape, size * MIB);
    const r = await measure(body);
    const line = `${(body.length / MIB).toFixed(1).padStart(8)}  ${shape.padEnd(7)}  ${r.status}     ${
      r.peakMb.toFixed(1).padStart(9)
    }  ${(r.peakMb / (body.length / MIB)).toFixed(2).padStart(9)}`;
    console.log(line);
    rows.push(line);
  }
}
await sql.end();
