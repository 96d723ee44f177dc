/**
 * HTTP helpers shared by the Edge Functions: CORS, JSON responses, and reading a request
 * body within a byte limit (optionally gzip-compressed) without buffering more than that.
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
  constructor(readonly status: 413 | 415 | 400, message: string) {
    super(message);
  }
}

/** Limits on a request body. */
export interface BodyLimits {
  /** Most bytes accepted on the wire. */
  maxBodyBytes: number;
  /** Most bytes accepted after gzip decompression. */
  maxDecompressedBytes: number;
}

async function readCapped(stream: ReadableStream<Uint8Array>, cap: number, what: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > cap) {
        throw new BodyError(413, `Payload too large: the ${what} exceeds the limit of ${cap} bytes`);
      }
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
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
 * (a compression bomb costs at most that much memory).
 */
export async function readBody(request: Request, limits: BodyLimits): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(declared) && declared > limits.maxBodyBytes) {
    throw new BodyError(413, `Payload too large: the body exceeds the limit of ${limits.maxBodyBytes} bytes`);
  }
  if (!request.body) return new Uint8Array();
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") {
    return await readCapped(request.body, limits.maxBodyBytes, "body");
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
    );
  } catch (e) {
    if (e instanceof BodyError) throw e;
    throw new BodyError(400, "Invalid gzip body");
  }
}
