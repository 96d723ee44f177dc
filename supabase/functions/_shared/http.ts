/**
 * HTTP helpers shared by the Edge Functions: CORS, JSON responses, and reading a request
 * body within a byte limit (optionally gzip-compressed) without buffering more than that,
 * and within a read deadline.
 *
 * @module
 */

/** Which origins may call the functions from a browser: `*` (upstream's default) or a list. */
export type AllowedOrigins = "*" | string[];

/** CORS headers for a response to `request`. */
export function corsHeaders(request: Request, origins: AllowedOrigins): Record<string, string> {
  const headers: Record<string, string> = {
    "Access-Control-Allow-Headers": "authorization, content-type, content-encoding",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
  };
  if (origins === "*") {
    headers["Access-Control-Allow-Origin"] = "*";
  } else {
    const origin = request.headers.get("origin");
    if (origin && origins.includes(origin)) headers["Access-Control-Allow-Origin"] = origin;
    headers["Vary"] = "Origin";
  }
  return headers;
}

/** A JSON response (`Content-Type: application/json`, no charset, as upstream). */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, "Content-Type": "application/json" } });
}

/** Why a body could not be read. */
export class BodyError extends Error {
  constructor(readonly status: 400 | 408 | 413 | 415, message: string) {
    super(message);
  }
}

/** Limits on a request body. */
export interface BodyLimits {
  /** Most bytes accepted on the wire. */
  maxBodyBytes: number;
  /** Most bytes accepted after gzip decompression. */
  maxDecompressedBytes: number;
  /** Longest the whole body may take to arrive, ms (default: no deadline) → 408. */
  readTimeoutMs?: number;
}

/** The default read deadline of a whole request body (NORTHSTAR_READ_TIMEOUT_MS). */
export const DEFAULT_READ_TIMEOUT_MS = 30_000;

/** Resolves `"timeout"` after `ms`; `cancel()` stops the timer. */
function timeout(ms: number): { promise: Promise<"timeout">; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms));
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Reads `stream` to its end, refusing with 413 as soon as more than `cap` bytes came, with
 * 408 when `deadline` (a `performance.now()` time) passes first, and with 400 `broken` when
 * the stream fails (a client gone mid-body, or bad gzip data).
 */
async function readCapped(
  stream: ReadableStream<Uint8Array>,
  cap: number,
  what: string,
  deadline: number | undefined,
  broken: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      let step: ReadableStreamReadResult<Uint8Array> | "timeout";
      try {
        if (deadline === undefined) {
          step = await reader.read();
        } else {
          const timer = timeout(deadline - performance.now());
          try {
            step = await Promise.race([reader.read(), timer.promise]);
          } finally {
            timer.cancel();
          }
        }
      } catch (e) {
        if (e instanceof BodyError) throw e;
        throw new BodyError(400, broken);
      }
      if (step === "timeout") {
        throw new BodyError(408, `Request timeout: the body did not arrive within the read deadline`);
      }
      const { done, value } = step;
      if (done) break;
      total += value.length;
      if (total > cap) {
        throw new BodyError(413, `Payload too large: the ${what} exceeds the limit of ${cap} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    // Stops the transfer: whatever the client still sends is not read (on the local
    // server, the connection is closed after the answer).
    reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * The request body as bytes, refusing with 413 as soon as it is larger than allowed (by
 * its Content-Length, or while reading) — so an oversized body is never buffered whole —
 * and, for `Content-Encoding: gzip`, as soon as the decompressed bytes pass their limit
 * (a compression bomb costs at most that much memory); with 408 when the whole body has
 * not arrived within `limits.readTimeoutMs`; with 400 when the body breaks off.
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    throw new BodyError(413, `Payload too large: the body exceeds the limit of ${limits.maxBodyBytes} bytes`);
  }
  if (!request.body) return new Uint8Array();
  const deadline = limits.readTimeoutMs === undefined ? undefined : performance.now() + limits.readTimeoutMs;
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") {
    return await readCapped(request.body, limits.maxBodyBytes, "body", deadline, "Incomplete request body");
  }
  if (encoding !== "gzip") {
    throw new BodyError(415, `Unsupported Content-Encoding: ${encoding} (use gzip or none)`);
  }
  // Count the compressed bytes as they stream in, and the decompressed ones as they come out.
  let wire = 0;
  const counted = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        wire += chunk.length;
        if (wire > limits.maxBodyBytes) {
          controller.error(
            new BodyError(413, `Payload too large: the body exceeds the limit of ${limits.maxBodyBytes} bytes`),
          );
        } else {
          controller.enqueue(chunk);
        }
      },
    }),
  );
  try {
    return await readCapped(
      counted.pipeThrough(new DecompressionStream("gzip") as ReadableWritablePair<Uint8Array, Uint8Array>),
      limits.maxDecompressedBytes,
      "decompressed body",
      deadline,
      "Invalid gzip body",
    );
  } catch (e) {
    if (e instanceof BodyError) throw e;
    throw new BodyError(400, "Invalid gzip body");
  }
}
