// No client can stall the local server (scripts/run.sh on PGlite), over raw TCP where fetch
// cannot go: oversized chunked bodies are refused while streaming, slow bodies get 408,
// half-sent headers and idle connections are closed, half-closed clients get their answer,
// and bad prompt inputs get a 400 naming the field. Short deadlines are set through the env.
import assert from "node:assert/strict";
import { type LocalServer, rawJson, readReply, rssMb, startLocalServer } from "./lib/local_server.ts";
import { requirePermissions } from "./_requires.ts";

const fixtures = new URL("../fixtures/", import.meta.url);
/** The contract's example batch, read when the suite runs (reading needs a permission). */
let exampleA = "";
const encoder = new TextEncoder();

const READ_TIMEOUT_MS = 1500;
const HEADERS_TIMEOUT_MS = 1000;
const IDLE_TIMEOUT_MS = 2000;

/** `conn.write` may write part of its bytes: write them all. */
async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

function connect(server: LocalServer) {
  return Deno.connect({ hostname: "127.0.0.1", port: server.port });
}

function head(server: LocalServer, path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries({ host: `127.0.0.1:${server.port}`, authorization: `Bearer ${server.key}`, ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`).join("");
  return `POST /functions/v1/${path} HTTP/1.1\r\n${lines}\r\n`;
}

/**
 * Streams a chunked body of up to `maxBytes` until the server answers or stops reading;
 * returns the answer and how many body bytes the client got to write.
 */
async function floodChunked(server: LocalServer, path: string, maxBytes: number) {
  const conn = await connect(server);
  const started = performance.now();
  let answered = false;
  const reply = readReply(conn, 60_000).then((r) => {
    answered = true;
    return r;
  });
  // The answer may arrive while the server still reads; watch the socket's text as it comes.
  let written = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const frame = encoder.encode(`${chunk.length.toString(16)}\r\n`);
  try {
    await writeAll(conn, encoder.encode(head(server, path, { "transfer-encoding": "chunked" })));
    while (written < maxBytes && !answered) {
      await writeAll(conn, frame);
      await writeAll(conn, chunk);
      await writeAll(conn, encoder.encode("\r\n"));
      written += chunk.length;
    }
    if (!answered) await writeAll(conn, encoder.encode("0\r\n\r\n"));
  } catch { /* the server closed the connection: what we want */ }
  const firstAnswerMs = Math.round(performance.now() - started);
  const r = await Promise.race([
    reply,
    new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000)),
  ]);
  try {
    conn.close();
  } catch { /* closed */ }
  const result = r ?? await reply;
  return { ...result, written, ms: firstAnswerMs };
}

Deno.test({
  name: "the local server: bounded reads, read deadlines, half-close, prompt inputs",
  ignore: requirePermissions(
    "the local server's hardening",
    "to run bash (scripts/run.sh) and write a temporary directory",
    { name: "run", command: "bash" },
    { name: "write" },
  ),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    exampleA = await Deno.readTextFile(new URL("example-a.json", fixtures));
    const data = await Deno.makeTempDir({ prefix: "northstar-hardening-" });
    const server = await startLocalServer(["--data", `${data}/pglite`], {
      NORTHSTAR_READ_TIMEOUT_MS: String(READ_TIMEOUT_MS),
      NORTHSTAR_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      NORTHSTAR_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
    });
    try {
      await t.step("a complete POST then a half-close (SHUT_WR) gets its 200, plain and gzip", async () => {
        const gzip = new Uint8Array(
          await new Response(new Blob([exampleA]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
        );
        for (const [body, extra] of [[encoder.encode(exampleA), {}], [gzip, { "content-encoding": "gzip" }]] as const) {
          const conn = await connect(server);
          await writeAll(
            conn,
            encoder.encode(head(server, "ingest-traces", { "content-length": body.length, ...extra })),
          );
          await writeAll(conn, body);
          await conn.closeWrite();
          const reply = await readReply(conn, 10_000);
          assert.equal(reply.status, 200, reply.text);
          assert.equal(rawJson(reply.text).accepted, true);
        }
      });

      await t.step("a huge chunked body to prompts/resolve is refused 413 without being read to the end", async () => {
        const r = await floodChunked(server, "prompts/resolve", 256 * 1024 * 1024);
        console.log(`  prompts/resolve: ${r.status} after ${r.ms} ms, client wrote ${(r.written / 1e6).toFixed(1)} MB`);
        assert.equal(r.status, 413, r.text.slice(0, 300));
        assert.ok(r.written < 16 * 1024 * 1024, `the server read ${r.written} bytes`);
        assert.equal(typeof rawJson(r.text).error, "string");
      });

      await t.step("a huge chunked body to ingest-traces is refused 413 without being read to the end", async () => {
        const r = await floodChunked(server, "ingest-traces", 256 * 1024 * 1024);
        console.log(`  ingest-traces: ${r.status} after ${r.ms} ms, client wrote ${(r.written / 1e6).toFixed(1)} MB`);
        assert.equal(r.status, 413, r.text.slice(0, 300));
        assert.ok(r.written < 32 * 1024 * 1024, `the server read ${r.written} bytes`);
      });

      await t.step("a body sent one byte at a time gets 408 (JSON) at the read deadline and is closed", async () => {
        const conn = await connect(server);
        await conn.write(encoder.encode(head(server, "ingest-traces", { "content-length": 1000 })));
        const started = performance.now();
        const reply = readReply(conn, 10_000);
        let done = false;
        reply.then(() => done = true);
        for (let i = 0; i < 1000 && !done; i++) {
          try {
            await conn.write(encoder.encode("{"));
          } catch {
            break;
          }
          await new Promise((r) => setTimeout(r, 200));
        }
        const r = await reply;
        const ms = Math.round(performance.now() - started);
        console.log(`  slow body: ${r.status} after ${ms} ms (deadline ${READ_TIMEOUT_MS} ms), closed: ${r.closed}`);
        assert.equal(r.status, 408, r.text);
        assert.match(rawJson(r.text).error, /timeout|time/i);
        assert.ok(ms < READ_TIMEOUT_MS + 1500, `answered after ${ms} ms`);
        assert.ok(r.closed, "the connection is closed after the 408");
      });

      await t.step("half-sent headers and idle connections are closed within a bounded time", async () => {
        const half = await connect(server);
        await half.write(encoder.encode("POST /functions/v1/ingest-traces HTTP/1.1\r\nhost: x\r\n"));
        const idle = await connect(server);
        const [h, i] = await Promise.all([readReply(half, 10_000), readReply(idle, 10_000)]);
        console.log(`  half-sent headers closed after ${h.ms} ms; idle connection after ${i.ms} ms`);
        assert.ok(h.closed && h.ms < HEADERS_TIMEOUT_MS + 2000, `half-sent headers: ${JSON.stringify(h)}`);
        assert.ok(i.closed && i.ms < IDLE_TIMEOUT_MS + 2000, `idle: ${JSON.stringify(i)}`);
      });

      await t.step("200 connections dripping their headers are all closed; memory stays bounded", async () => {
        const before = await rssMb(server.pid);
        const conns = await Promise.all(Array.from({ length: 200 }, () => connect(server)));
        await Promise.all(
          conns.map((c, n) =>
            writeAll(
              c,
              encoder.encode(`POST /functions/v1/ingest-traces HTTP/1.1\r\nhost: x\r\nx-pad-${n}: ${"a".repeat(2000)}`),
            )
          ),
        );
        // Each keeps sending one more header byte every 200 ms: never idle, never finished.
        let during = 0;
        const replies = await Promise.all(conns.map(async (c, n) => {
          const reply = readReply(c, 15_000);
          let closed = false;
          reply.then(() => closed = true);
          while (!closed) {
            await new Promise((r) => setTimeout(r, 200));
            if (n === 0 && during === 0) during = await rssMb(server.pid);
            try {
              await c.write(encoder.encode("a"));
            } catch {
              break;
            }
          }
          return await reply;
        }));
        const after = await rssMb(server.pid);
        const worst = Math.max(...replies.map((r) => r.ms));
        const open = replies.filter((r) => !r.closed).length;
        console.log(
          `  RSS ${before} MB before, ${during} MB with 200 slow headers, ${after} MB after;` +
            ` all closed within ${worst} ms, ${open} left open`,
        );
        assert.equal(open, 0);
        assert.ok(worst < HEADERS_TIMEOUT_MS + 5000);
        assert.ok(after - before < 100, `RSS grew by ${after - before} MB`);
      });

      await t.step("bad prompt inputs get a 400 naming the field", async () => {
        const resolve = async (raw: string) => {
          const res = await fetch(`${server.base}/prompts/resolve`, {
            method: "POST",
            headers: { authorization: `Bearer ${server.key}` },
            body: raw,
          });
          return { status: res.status, body: await res.json() };
        };
        const cases: [string, string, string][] = [
          [`{"slug":"a\\u0000b"}`, "slug", "nul_character"],
          [`{"slug":"summarizer","label":"p\\u0000rod"}`, "label", "nul_character"],
          [`{"slug":"\\ud800x"}`, "slug", "lone_surrogate"],
          [`{"slug":"ok","label":"\\udc00"}`, "label", "lone_surrogate"],
          [`{"name":"a\\u0000"}`, "name", "nul_character"],
          [JSON.stringify({ slug: "s".repeat(201) }), "slug", "too_long"],
          [JSON.stringify({ slug: "ok", label: "l".repeat(201) }), "label", "too_long"],
        ];
        for (const [raw, path, code] of cases) {
          const res = await resolve(raw);
          assert.equal(res.status, 400, `${raw.slice(0, 60)} → ${JSON.stringify(res.body)}`);
          assert.equal(typeof res.body.error, "string");
          assert.equal(res.body.errors?.[0]?.path, path, JSON.stringify(res.body));
          assert.equal(res.body.errors?.[0]?.code, code, JSON.stringify(res.body));
        }
        // Long but allowed, and non-ASCII: looked up, not found.
        for (const slug of ["s".repeat(200), "résumé-😀"]) {
          const res = await resolve(JSON.stringify({ slug }));
          assert.equal(res.status, 404, JSON.stringify(res.body));
        }
      });
    } finally {
      await server.stop();
      await Deno.remove(data, { recursive: true });
    }
  },
});
