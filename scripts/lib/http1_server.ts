/**
 * A small HTTP/1.1 server for the local backend (scripts/serve.ts), on `Deno.listen`, that
 * keeps no connection for ever. `Deno.serve` (hyper) was measured on Deno 2.9 to keep a
 * connection with half-sent headers, or an idle one, open indefinitely, to drop the answer
 * of a client that half-closes (`shutdown(SHUT_WR)`) after a complete request, and to keep
 * a connection open after answering without reading the body; `node:http`'s
 * `headersTimeout`/`requestTimeout` are not honoured either. So this server reads requests
 * itself:
 *
 * - the headers of a request must arrive within `headersTimeoutMs` of the connection's
 *   opening (or of the previous answer's end, on a kept-alive connection: `idleTimeoutMs`
 *   for the first byte, then `headersTimeoutMs`); else the connection is closed (408 when
 *   part of a request came);
 * - a request body is streamed to the handler as it arrives (`Content-Length` or chunked),
 *   never buffered here, so the handler's byte limits and read deadline apply while reading;
 * - a client's end of stream after a complete request is a half-close: its answer is still
 *   written, then the connection is closed;
 * - after an answer given before the body was read to its end, the connection is closed
 *   (`Connection: close`), so a refused body is never read or drained.
 *
 * Answers are buffered whole (the functions answer small JSON documents).
 *
 * @module
 */
import { STATUS_CODES } from "node:http";

/** Settings of the server. */
export interface Http1ServerOptions {
  hostname: string;
  /** 0 for a free port. */
  port: number;
  /** Longest wait for a request's headers (default 10 s). */
  headersTimeoutMs?: number;
  /** Longest a kept-alive connection may stay silent between requests (default 30 s). */
  idleTimeoutMs?: number;
  /** Largest request line + headers, bytes (default 16 KiB; larger → 431). */
  maxHeaderBytes?: number;
  /** Called once listening. */
  onListen?: (addr: Deno.NetAddr) => void;
  /** Where server-level refusals (bad framing, timeouts) are logged (default console.log of JSON). */
  log?: (line: Record<string, unknown>) => void;
}

/** A running server. */
export interface Http1Server {
  addr: Deno.NetAddr;
  /** Stops accepting, closes every connection, and waits for their loops to end. */
  shutdown(): Promise<void>;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** The connection was closed by a deadline. */
class DeadlineError extends Error {}
/** A request this server refuses before any handler sees it. */
class FramingError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = Math.max(0, from); i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Buffered input of one connection, read with optional deadlines. */
class Input {
  #buf = new Uint8Array(0);
  #chunk = new Uint8Array(256 * 1024);
  /** The client ended its side (EOF). */
  eof = false;

  constructor(readonly conn: Deno.Conn) {}

  get length(): number {
    return this.#buf.length;
  }

  get bytes(): Uint8Array {
    return this.#buf;
  }

  /** Reads more bytes; false at end of stream. A deadline closes the connection when it passes. */
  async fill(deadline?: number): Promise<boolean> {
    if (this.eof) return false;
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (deadline !== undefined) {
      const wait = deadline - performance.now();
      if (wait <= 0) throw new DeadlineError("deadline passed");
      timer = setTimeout(() => {
        timedOut = true;
        try {
          this.conn.close();
        } catch { /* already closed */ }
      }, wait);
    }
    try {
      const n = await this.conn.read(this.#chunk);
      if (n === null) {
        this.eof = true;
        return false;
      }
      if (this.#buf.length === 0) {
        this.#buf = this.#chunk.slice(0, n);
      } else {
        const next = new Uint8Array(this.#buf.length + n);
        next.set(this.#buf);
        next.set(this.#chunk.subarray(0, n), this.#buf.length);
        this.#buf = next;
      }
      return true;
    } catch (e) {
      if (timedOut) throw new DeadlineError("deadline passed");
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Removes and returns the first `n` buffered bytes (a view: buffers are never written twice). */
  take(n: number): Uint8Array {
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }
}

interface Head {
  method: string;
  target: string;
  version: "HTTP/1.1" | "HTTP/1.0";
  headers: Headers;
}

function parseHead(bytes: Uint8Array): Head {
  const lines = latin1.decode(bytes).split("\r\n");
  const [method, target, version, ...extra] = lines[0].split(" ");
  if (extra.length > 0 || !method || !TOKEN.test(method) || !target || !/^(\/|https?:\/\/)/.test(target)) {
    throw new FramingError(400, "Malformed request line");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") throw new FramingError(505, "HTTP version not supported");
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon);
    if (colon <= 0 || !TOKEN.test(name)) throw new FramingError(400, "Malformed header line");
    try {
      headers.append(name, line.slice(colon + 1).trim());
    } catch {
      throw new FramingError(400, "Malformed header value");
    }
  }
  return { method, target, version, headers };
}

/** How the body of a request is framed. */
type Framing = { kind: "none" } | { kind: "length"; length: number } | { kind: "chunked" };

function framing(head: Head): Framing {
  const te = head.headers.get("transfer-encoding");
  const cl = head.headers.get("content-length");
  if (te !== null) {
    // Both framings at once is how requests are smuggled past proxies.
    if (cl !== null) throw new FramingError(400, "Both Transfer-Encoding and Content-Length");
    if (te.trim().toLowerCase() !== "chunked") throw new FramingError(501, "Unsupported Transfer-Encoding");
    return { kind: "chunked" };
  }
  if (cl !== null) {
    const values = new Set(cl.split(",").map((v) => v.trim()));
    const [only] = values;
    if (values.size !== 1 || !/^\d{1,15}$/.test(only)) throw new FramingError(400, "Invalid Content-Length");
    return { kind: "length", length: Number(only) };
  }
  return { kind: "none" };
}

/**
 * The body of one request as a stream pulled from the connection. `done` turns true once
 * the body was read to its end; `sendContinue` answers `Expect: 100-continue` on first read.
 */
function bodyStream(input: Input, frame: Framing, sendContinue: () => Promise<void>) {
  const state = { done: frame.kind === "none" || (frame.kind === "length" && frame.length === 0) };
  let remaining = frame.kind === "length" ? frame.length : 0;
  // For chunked bodies: bytes left in the current chunk, or -1 between chunks.
  let inChunk = -1;
  let continued = false;

  const more = async () => {
    if (!(await input.fill())) throw new Error("The client closed the connection before the end of the body");
  };
  const line = async (): Promise<string> => {
    while (true) {
      const at = indexOf(input.bytes, CRLF2.subarray(0, 2), 0);
      if (at >= 0) return latin1.decode(input.take(at + 2).subarray(0, at));
      if (input.length > 4096) throw new Error("Chunk header line too long");
      await more();
    }
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        if (state.done) return controller.close();
        if (!continued) {
          continued = true;
          if (input.length === 0) await sendContinue();
        }
        if (frame.kind === "length") {
          if (input.length === 0) await more();
          const piece = input.take(Math.min(remaining, input.length));
          remaining -= piece.length;
          if (remaining === 0) state.done = true;
          controller.enqueue(piece);
          if (state.done) controller.close();
          return;
        }
        if (inChunk <= 0) {
          if (inChunk === 0 && (await line()) !== "") throw new Error("Malformed chunk end");
          const size = (await line()).split(";")[0].trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new Error("Malformed chunk size");
          inChunk = parseInt(size, 16);
          if (inChunk === 0) {
            while ((await line()) !== "") { /* trailers are ignored */ }
            state.done = true;
            return controller.close();
          }
        }
        if (input.length === 0) await more();
        const piece = input.take(Math.min(inChunk, input.length));
        inChunk -= piece.length;
        controller.enqueue(piece);
      } catch (e) {
        controller.error(e);
      }
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => {
    try {
      conn.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    let at = 0;
    while (at < bytes.length) at += await conn.write(bytes.subarray(at));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Closes a connection whose client may still be sending (a body refused before its end):
 * first the write side, then whatever arrives is read and dropped for a short while, so
 * that the kernel does not answer the unread bytes with a reset that could destroy the
 * answer before the client reads it (a "lingering close", as web servers do).
 */
async function lingeringClose(conn: Deno.Conn, input: Input): Promise<void> {
  try {
    await conn.closeWrite();
    const until = performance.now() + 1000;
    let dropped = 0;
    while (dropped < 1024 * 1024 && (await input.fill(until))) {
      dropped += input.length;
      input.take(input.length);
    }
  } catch { /* deadline or a gone client: close now */ }
}

function jsonAnswer(status: number, error: string): Response {
  return new Response(JSON.stringify({ error }), { status, headers: { "Content-Type": "application/json" } });
}

async function writeResponse(
  conn: Deno.Conn,
  res: Response,
  head: Head | null,
  close: boolean,
  timeoutMs: number,
): Promise<void> {
  const noBody = head?.method === "HEAD" || res.status === 204 || res.status === 304;
  const body = res.body && !noBody ? new Uint8Array(await res.arrayBuffer()) : new Uint8Array();
  if (res.body && noBody) await res.body.cancel();
  let text = `HTTP/1.1 ${res.status} ${res.statusText || STATUS_CODES[res.status] || ""}\r\n`;
  for (const [name, value] of res.headers) {
    if (name === "content-length" || name === "transfer-encoding" || name === "connection") continue;
    text += `${name}: ${value}\r\n`;
  }
  if (res.status !== 204 && res.status !== 304) text += `content-length: ${body.length}\r\n`;
  text += `date: ${new Date().toUTCString()}\r\n`;
  if (close) text += "connection: close\r\n";
  text += "\r\n";
  const headBytes = encoder.encode(text);
  const out = new Uint8Array(headBytes.length + body.length);
  out.set(headBytes);
  out.set(body, headBytes.length);
  await writeAll(conn, out, timeoutMs);
}

/** Serves `handler` over HTTP/1.1 on `options.hostname:options.port`. */
export function serveHttp1(
  options: Http1ServerOptions,
  handler: (request: Request) => Response | Promise<Response>,
): Http1Server {
  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const maxHeaderBytes = options.maxHeaderBytes ?? 16 * 1024;
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const listener = Deno.listen({ hostname: options.hostname, port: options.port, transport: "tcp" });
  const addr = listener.addr as Deno.NetAddr;
  const open = new Set<Deno.Conn>();
  const loops = new Set<Promise<void>>();
  let stopping = false;

  async function connection(conn: Deno.Conn): Promise<void> {
    const input = new Input(conn);
    const host = `${addr.hostname}:${addr.port}`;
    let first = true;
    try {
      while (!stopping) {
        // The request's headers, within their deadlines.
        let deadline = performance.now() + headersTimeoutMs;
        if (!first && input.length === 0) {
          if (!(await input.fill(performance.now() + idleTimeoutMs))) return;
          deadline = performance.now() + headersTimeoutMs;
        }
        first = false;
        let end: number;
        try {
          while ((end = indexOf(input.bytes, CRLF2, 0)) < 0) {
            if (input.length > maxHeaderBytes) throw new FramingError(431, "Request headers too large");
            if (!(await input.fill(deadline))) return;
          }
        } catch (e) {
          if (!(e instanceof DeadlineError)) throw e;
          // A silent connection is just closed; a half-sent request is told why.
          if (input.length > 0) {
            log({ fn: "server", status: 408, error: "request headers not received in time" });
            await writeResponse(conn, jsonAnswer(408, "Request headers timeout"), null, true, 1000).catch(() => {});
          }
          return;
        }
        if (end + 4 > maxHeaderBytes) throw new FramingError(431, "Request headers too large");
        let headBytes = input.take(end + 4).subarray(0, end);
        // A stray CRLF before a request line is ignored (RFC 9112 §2.2).
        while (headBytes[0] === 13 && headBytes[1] === 10) headBytes = headBytes.subarray(2);
        const head = parseHead(headBytes);
        const frame = framing(head);
        const expectContinue = head.headers.get("expect")?.toLowerCase() === "100-continue";
        const { stream, state } = bodyStream(input, frame, async () => {
          if (expectContinue && head.version === "HTTP/1.1") {
            await writeAll(conn, encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"), idleTimeoutMs);
          }
        });
        let url: string;
        try {
          url = new URL(
            /^https?:\/\//.test(head.target) ? head.target : `http://${head.headers.get("host") ?? host}${head.target}`,
          )
            .href;
        } catch {
          throw new FramingError(400, "Invalid Host header or request target");
        }
        let res: Response;
        try {
          const withBody = frame.kind !== "none" && head.method !== "GET" && head.method !== "HEAD";
          const request = new Request(url, {
            method: head.method,
            headers: head.headers,
            body: withBody ? stream : undefined,
            duplex: "half",
          } as RequestInit);
          res = await handler(request);
        } catch (e) {
          log({ fn: "server", status: 500, error: e instanceof Error ? e.message : String(e) });
          res = jsonAnswer(500, "Internal server error");
        }
        // Keep the connection only when the body was read to its end and the client wants it.
        const keep = state.done && !input.eof && head.version === "HTTP/1.1" &&
          head.headers.get("connection")?.toLowerCase() !== "close" && !stopping;
        await writeResponse(conn, res, head, !keep, idleTimeoutMs);
        if (!state.done) {
          stream.cancel().catch(() => {});
          if (!input.eof) await lingeringClose(conn, input);
        }
        if (!keep) return;
      }
    } catch (e) {
      if (e instanceof FramingError) {
        log({ fn: "server", status: e.status, error: e.message });
        await writeResponse(conn, jsonAnswer(e.status, e.message), null, true, 1000).catch(() => {});
      }
      // Anything else is a broken connection: nothing to answer.
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch { /* already closed */ }
    }
  }

  const accepting = (async () => {
    options.onListen?.(addr);
    while (true) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // the listener was closed
      }
      open.add(conn);
      const loop = connection(conn);
      loops.add(loop);
      loop.finally(() => loops.delete(loop));
    }
  })();

  return {
    addr,
    async shutdown() {
      stopping = true;
      listener.close();
      await accepting;
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await Promise.allSettled([...loops]);
    },
  };
}
