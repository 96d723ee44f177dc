/**
 * The `ingest-traces` handler: HTTP and the database call, nothing else. Validation and
 * preparation are the wasm core's (`prepare_batch`); the store writes the batch in one
 * transaction.
 *
 * @module
 */
import { hash_api_key, parse_bearer, prepare_batch } from "./core.ts";
import { type AllowedOrigins, BodyError, corsHeaders, json, readBody } from "./http.ts";
import { type Store, StoreError } from "./store.ts";

/** Settings of the ingest handler; every one has a default. */
export interface IngestOptions {
  /** Largest body on the wire, bytes (default 10 MiB). */
  maxBodyBytes?: number;
  /** Largest gzip-decompressed body, bytes (default 32 MiB). */
  maxDecompressedBytes?: number;
  /** Most records per batch (default 10,000). */
  maxRecords?: number;
  /** CORS origins (default `*`). */
  allowedOrigins?: AllowedOrigins;
  /** Seconds a client should wait after a 503 (default 5). */
  retryAfterSeconds?: number;
  /** Where the one structured line per request goes (default console.log). */
  log?: (line: Record<string, unknown>) => void;
}

/** The texts upstream's clients match on. */
export const MESSAGES = {
  method: "Method not allowed",
  missingAuth: "Missing or invalid authorization header",
  badKey: "Invalid or revoked API key",
  references: "Payload contains invalid project references",
  internal: "Internal server error",
  unavailable: "Database unavailable, retry later",
} as const;

/** Database refusals upstream answered as "invalid project references". */
const REFERENCE_ERROR = /belongs to a different project|not found for project|not found for trace/;

/** Builds the handler of `POST /functions/v1/ingest-traces`. */
export function createIngestHandler(
  store: Store,
  options: IngestOptions = {},
): (request: Request) => Promise<Response> {
  const limits = {
    maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
    maxDecompressedBytes: options.maxDecompressedBytes ?? 32 * 1024 * 1024,
  };
  const coreLimits = { maxBodyBytes: limits.maxDecompressedBytes, maxRecords: options.maxRecords ?? 10_000 };
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  const retryAfter = String(options.retryAfterSeconds ?? 5);

  return async (request) => {
    const started = performance.now();
    const cors = corsHeaders(request, options.allowedOrigins ?? "*");
    const entry: Record<string, unknown> = { fn: "ingest-traces", method: request.method };
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      entry.duration_ms = Math.round((performance.now() - started) * 10) / 10;
      log(entry);
      return json(status, body, { ...cors, ...extra });
    };

    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    if (request.method !== "POST") return answer(405, { error: MESSAGES.method });

    const token = parse_bearer(request.headers.get("authorization") ?? undefined);
    if (token === undefined) return answer(401, { error: MESSAGES.missingAuth });
    let projectId: string | null;
    try {
      projectId = await store.resolveApiKey(hash_api_key(token));
    } catch (e) {
      return storeFailure(e);
    }
    if (projectId === null) return answer(401, { error: MESSAGES.badKey });
    entry.project = projectId;

    let body: Uint8Array;
    try {
      body = await readBody(request, limits);
    } catch (e) {
      if (e instanceof BodyError) return answer(e.status, { error: e.message });
      throw e;
    }
    entry.bytes = body.length;

    const prepared = prepare_batch(body, projectId, coreLimits);
    if (!prepared.ok) {
      entry.violations = prepared.total;
      const { error, errors, total, truncated } = prepared;
      return answer(prepared.status, { error, errors, total, truncated });
    }
    entry.counts = prepared.counts;

    try {
      await store.ingest(projectId, prepared);
    } catch (e) {
      return storeFailure(e);
    }
    return answer(200, { accepted: true, counts: prepared.counts });

    function storeFailure(e: unknown): Response {
      if (e instanceof StoreError && e.kind === "client") {
        entry.db_error = e.message;
        const error = REFERENCE_ERROR.test(e.message) ? MESSAGES.references : e.message;
        return answer(400, { error, errors: [{ path: "$", code: "database_refused", message: e.message }] });
      }
      if (e instanceof StoreError && e.kind === "unavailable") {
        entry.db_error = e.message;
        return answer(503, { error: MESSAGES.unavailable }, { "Retry-After": retryAfter });
      }
      entry.db_error = e instanceof Error ? e.message : String(e);
      return answer(500, { error: MESSAGES.internal });
    }
  };
}
