/**
 * The `ingest-traces` handler: HTTP and the database call, nothing else. Validation and
 * preparation are the wasm core's (`prepare_batch`, and `prepare_otlp` for OpenTelemetry
 * exports to `…/ingest-traces/v1/traces`); the store writes the batch in one transaction.
 *
 * @module
 */
import { prepare_batch, prepare_otlp, type PreparedOtlp } from "./core.ts";
import { asOtlpStatus, encodeTraceResponse, traceResponseJson } from "./otlp_response.ts";
import { coreLimitsOf, type RepairOptions, transportLimitsOf, warningsOf } from "./repairs.ts";
import { BodyError, DEFAULT_READ_TIMEOUT_MS, readBody } from "./http.ts";
import { type CommonOptions, guardHandler } from "./request.ts";
import type { Store } from "./store.ts";

/** The OTLP/HTTP traces path, under the function (`…/ingest-traces/v1/traces`). */
export const OTLP_TRACES_SUFFIX = "/ingest-traces/v1/traces";
/** The media types OTLP/HTTP sends, as the OTLP answer is encoded. */
const PROTOBUF = "application/x-protobuf";

/** Whether the request is for the OTLP route (the exact path suffix). */
function isOtlpRoute(request: Request): boolean {
  return new URL(request.url).pathname.endsWith(OTLP_TRACES_SUFFIX);
}

/** Whether the request's body is OTLP protobuf (`application/x-protobuf`, any parameters). */
function isProtobuf(request: Request): boolean {
  return /^\s*application\/x-protobuf\s*(;|$)/i.test(request.headers.get("content-type") ?? "");
}

export { MESSAGES } from "./request.ts";

/** Settings of the ingest handler; every one has a default. */
export interface IngestOptions extends CommonOptions, RepairOptions {
  /** Largest body on the wire, bytes (default in `repairs.ts`; 10 MiB when strict). */
  maxBodyBytes?: number;
  /** Largest gzip-decompressed body, bytes (default in `repairs.ts`; 32 MiB when strict). */
  maxDecompressedBytes?: number;
  /** Most records per batch (default 10,000). */
  maxRecords?: number;
}

/** Builds the handler of `POST /functions/v1/ingest-traces`. */
export function createIngestHandler(
  store: Store,
  options: IngestOptions = {},
): (request: Request) => Promise<Response> {
  const limits = {
    ...transportLimitsOf(options),
    readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
  };
  const coreLimits = coreLimitsOf(options, limits);

  const handle = guardHandler("ingest-traces", options, async (request, cx) => {
    const early = cx.opening();
    if (early) return early;
    const authStarted = performance.now();
    const projectId = await cx.authenticate(store);
    if (projectId instanceof Response) return projectId;
    const timing = new Timing(authStarted, "auth");

    const otlp = isOtlpRoute(request);
    const contentType = request.headers.get("content-type") ?? "";
    const otlpProtobuf = otlp && isProtobuf(request);
    if (otlp && !otlpProtobuf && !/^\s*application\/json\s*(;|$)/i.test(contentType)) {
      // Before reading the body: nothing of it could be read anyway.
      return cx.answer(415, {
        error: `Unsupported content type ${
          JSON.stringify(contentType)
        }: OTLP/HTTP takes ${PROTOBUF} or application/json`,
      });
    }

    let body: Uint8Array;
    try {
      body = await readBody(request, limits);
    } catch (e) {
      if (e instanceof BodyError) return cx.answer(e.status, { error: e.message });
      throw e;
    }
    cx.entry.bytes = body.length;

    timing.from("body");
    if (otlp) {
      cx.entry.otlp = otlpProtobuf ? "protobuf" : "json";
      const prepared = prepare_otlp(body, contentType, projectId, coreLimits);
      timing.from("core");
      if (!prepared.ok) {
        cx.entry.violations = prepared.total;
        const { error, errors, total, truncated } = prepared;
        return cx.answer(prepared.status, { error, errors, total, truncated });
      }
      cx.entry.counts = prepared.counts;
      cx.entry.spans_received = prepared.spans_received;
      cx.entry.rejected_spans = prepared.rejected_spans;
      const warnings = warningsOf(prepared);
      if (warnings) cx.entry.warnings = warnings.warnings_total;
      try {
        if (hasRecords(prepared)) await store.ingestOtlp(projectId, prepared);
      } catch (e) {
        return cx.storeFailure(e);
      }
      timing.from("db");
      Object.assign(cx.entry, timing.fields());
      const partial = { rejectedSpans: prepared.rejected_spans, errorMessage: prepared.error_message };
      const headers = { "Server-Timing": timing.header() };
      return otlpProtobuf
        ? cx.answerBytes(200, encodeTraceResponse(partial), PROTOBUF, headers)
        : cx.answer(200, traceResponseJson(partial), headers);
    }
    const prepared = prepare_batch(body, projectId, coreLimits, store.batchFormat);
    timing.from("core");
    if (!prepared.ok) {
      cx.entry.violations = prepared.total;
      const { error, errors, total, truncated } = prepared;
      return cx.answer(prepared.status, { error, errors, total, truncated });
    }
    cx.entry.counts = prepared.counts;
    const warnings = warningsOf(prepared);
    if (warnings) cx.entry.warnings = warnings.warnings_total;

    try {
      await store.ingest(projectId, prepared);
    } catch (e) {
      return cx.storeFailure(e);
    }
    timing.from("db");
    Object.assign(cx.entry, timing.fields());
    return cx.answer(200, { accepted: true, counts: prepared.counts, ...warnings }, {
      "Server-Timing": timing.header(),
    });
  });

  // OTLP/HTTP: the body of every 4xx and 5xx answer is a google.rpc.Status, in the request's
  // own encoding (the native path keeps upstream's `{error, errors}`).
  return async (request) => {
    const answer = await handle(request);
    if (answer.status < 400 || !isOtlpRoute(request)) return answer;
    return await asOtlpStatus(answer, isProtobuf(request));
  };
}

/** Whether an OTLP export holds anything to write (an empty export needs no statement). */
function hasRecords(prepared: PreparedOtlp): boolean {
  return Object.values(prepared.counts).some((n) => typeof n === "number" && n > 0) ||
    (prepared.warnings?.length ?? 0) > 0;
}

/**
 * Where an accepted request's time went, in ms, for the log line (`auth_ms`, `core_ms`…) and a
 * `Server-Timing` header (which `deno task bench:e2e` reads): the key lookup, reading the body,
 * the wasm core's `prepare_batch`, the database call.
 */
class Timing {
  readonly #spans: [string, number][] = [];
  #last = performance.now();

  constructor(started: number, name: string) {
    this.#spans.push([name, this.#last - started]);
  }

  /** Ends the span called `name`, begun where the previous one ended. */
  from(name: string): void {
    const now = performance.now();
    this.#spans.push([name, now - this.#last]);
    this.#last = now;
  }

  fields(): Record<string, number> {
    return Object.fromEntries(this.#spans.map(([n, ms]) => [`${n}_ms`, Math.round(ms * 100) / 100]));
  }

  header(): string {
    return this.#spans.map(([n, ms]) => `${n};dur=${ms.toFixed(2)}`).join(", ");
  }
}
