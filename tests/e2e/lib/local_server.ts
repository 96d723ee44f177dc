/**
 * Starts the real local server (`scripts/run.sh`, i.e. scripts/serve.ts) in a subprocess for
 * end-to-end tests, and speaks raw HTTP/1.1 over TCP to it where `fetch` cannot (half-close,
 * slow or half-sent requests).
 *
 * @module
 */
import assert from "node:assert/strict";

const root = new URL("../../../", import.meta.url).pathname;

/** A running local server. */
export interface LocalServer {
  /** Everything it printed up to the ready banner. */
  out: string;
  /** `http://127.0.0.1:PORT/functions/v1` */
  base: string;
  port: number;
  key: string;
  projectId: string;
  pid: number;
  /** Lines it printed after the banner (its request log). */
  log: string[];
  stop(): Promise<void>;
}

/** Starts `scripts/run.sh --port 0` with `args` and `env` (SUPABASE_DB_URL unset unless given). */
export async function startLocalServer(args: string[], env: Record<string, string> = {}): Promise<LocalServer> {
  const child = new Deno.Command("bash", {
    args: ["scripts/run.sh", "--port", "0", ...args],
    cwd: root,
    stdout: "piped",
    stderr: "inherit",
    env: { SUPABASE_DB_URL: "", ...env },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("Rotate the key")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early:\n${out}`);
    out += value;
  }
  const key = out.match(/API key: (ns_[A-Za-z0-9_-]+)/)?.[1];
  const base = out.match(/ingest: {2}(http:\/\/127\.0\.0\.1:\d+\/functions\/v1)\/ingest-traces/)?.[1];
  const projectId = out.match(/project: ([0-9a-f-]{36})/)?.[1];
  assert.ok(key && base && projectId, out);
  const log: string[] = [];
  let pending = out.slice(out.indexOf("Rotate the key"));
  const pump = (async () => {
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        const lines = pending.split("\n");
        pending = lines.pop()!;
        log.push(...lines);
      }
    } catch { /* stopped */ }
  })();
  return {
    out,
    base,
    port: Number(new URL(base).port),
    key,
    projectId,
    pid: child.pid,
    log,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
      await pump;
    },
  };
}

/** Resident memory of a process, in MB (`ps`: reading /proc needs Deno's --allow-all). */
export async function rssMb(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)], stdout: "piped" }).output();
  const kb = Number(new TextDecoder().decode(out.stdout).trim());
  return Math.round(kb / 102.4) / 10;
}

/** What a raw connection received, and when it ended. */
export interface RawReply {
  text: string;
  /** The status code of the first response, or 0 when none came. */
  status: number;
  /** The server closed the connection (EOF or reset) before `waitMs`. */
  closed: boolean;
  /** Milliseconds from the call until the connection ended (or `waitMs`). */
  ms: number;
}

/** Reads from `conn` until the server closes it or `waitMs` passes. */
export async function readReply(conn: Deno.Conn, waitMs: number): Promise<RawReply> {
  const started = performance.now();
  const buf = new Uint8Array(65536);
  const decoder = new TextDecoder();
  let text = "";
  let closed = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch { /* closed */ }
  }, waitMs);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
  } catch {
    closed = !timedOut;
  }
  clearTimeout(timer);
  if (!timedOut) {
    try {
      conn.close();
    } catch { /* closed */ }
  }
  const status = Number(text.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
  return { text, status, closed, ms: Math.round(performance.now() - started) };
}

/** The JSON body of a raw HTTP/1.1 response text (Content-Length framed). */
export function rawJson(text: string): any {
  const at = text.indexOf("\r\n\r\n");
  const length = Number(text.slice(0, at).match(/content-length: (\d+)/i)?.[1]);
  return JSON.parse(new TextDecoder().decode(new TextEncoder().encode(text.slice(at + 4)).subarray(0, length)));
}
