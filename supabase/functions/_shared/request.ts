/**
 * What every function does with a request before its own work: CORS, the one structured
 * log line, the OPTIONS preflight, the POST-only rule, the API key; how a database
 * failure becomes an answer; and how an unexpected exception becomes a logged JSON 500.
 *
 * @module
 */
import { hash_api_key, parse_bearer } from "./core.ts";
import { type AllowedOrigins, corsHeaders, json } from "./http.ts";
import { type Store, StoreError } from "./store.ts";

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

/** Settings every function shares. */
export interface CommonOptions {
  /** CORS origins (default `*`). */
  allowedOrigins?: AllowedOrigins;
  /** Seconds a client should wait after a 503 (default 5). */
  retryAfterSeconds?: number;
  /** Longest a whole request body may take to arrive, ms (default 30 s) → 408. */
  readTimeoutMs?: number;
  /** Where the one structured line per request goes (default console.log). */
  log?: (line: Record<string, unknown>) => void;
}

/** One request being answered. */
export class RequestContext {
  readonly #started = performance.now();
  readonly #cors: Record<string, string>;
  /** The log line; handlers add project, counts, bytes… (never keys or payload content). */
  readonly entry: Record<string, unknown>;

  constructor(fn: string, readonly request: Request, readonly options: CommonOptions) {
    this.#cors = corsHeaders(request, options.allowedOrigins ?? "*");
    this.entry = { fn, method: request.method };
  }

  /** A JSON answer, logged. */
  answer(status: number, body: unknown, extra: Record<string, string> = {}): Response {
    this.#log(status);
    return json(status, body, { ...this.#cors, ...extra });
  }

  /** An answer of any content type (the OTLP endpoint's protobuf), logged. */
  answerBytes(status: number, body: Uint8Array, contentType: string, extra: Record<string, string> = {}): Response {
    this.#log(status);
    return new Response(body as Uint8Array<ArrayBuffer>, {
      status,
      headers: { ...this.#cors, ...extra, "Content-Type": contentType },
    });
  }

  #log(status: number): void {
    this.entry.status = status;
    this.entry.duration_ms = Math.round((performance.now() - this.#started) * 10) / 10;
    (this.options.log ?? ((line) => console.log(JSON.stringify(line))))(this.entry);
  }

  /** The common opening: OPTIONS → 204, not POST → 405; `null` when the request may go on. */
  opening(): Response | null {
    if (this.request.method === "OPTIONS") return new Response(null, { status: 204, headers: this.#cors });
    if (this.request.method !== "POST") return this.answer(405, { error: MESSAGES.method });
    return null;
  }

  /** The project of the request's API key, or the 401/503/500 answer. */
  async authenticate(store: Store): Promise<string | Response> {
    const token = parse_bearer(this.request.headers.get("authorization") ?? undefined);
    if (token === undefined) return this.answer(401, { error: MESSAGES.missingAuth });
    let projectId: string | null;
    try {
      projectId = await store.resolveApiKey(hash_api_key(token));
    } catch (e) {
      return this.storeFailure(e);
    }
    if (projectId === null) return this.answer(401, { error: MESSAGES.badKey });
    this.entry.project = projectId;
    return projectId;
  }

  /** Refused data → 400; unreachable database → 503 with Retry-After; else 500. */
  storeFailure(e: unknown): Response {
    this.entry.db_error = e instanceof Error ? e.message : String(e);
    if (e instanceof StoreError && e.kind === "client") {
      const error = REFERENCE_ERROR.test(e.message) ? MESSAGES.references : e.message;
      return this.answer(400, { error, errors: [{ path: "$", code: "database_refused", message: e.message }] });
    }
    if (e instanceof StoreError && e.kind === "unavailable") {
      return this.answer(503, { error: MESSAGES.unavailable }, {
        "Retry-After": String(this.options.retryAfterSeconds ?? 5),
      });
    }
    return this.answer(500, { error: MESSAGES.internal });
  }
}

/**
 * Wraps a handler so that no exception escapes it: an unexpected one becomes a logged JSON
 * `500 {"error": "Internal server error"}` (the runtime's own answer would be plain text,
 * with no log line of ours).
 */
export function guardHandler(
  fn: string,
  options: CommonOptions,
  handler: (request: Request, cx: RequestContext) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const cx = new RequestContext(fn, request, options);
    try {
      return await handler(request, cx);
    } catch (e) {
      cx.entry.error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return cx.answer(500, { error: MESSAGES.internal });
    }
  };
}
