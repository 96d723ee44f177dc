/**
 * The `prompts` handler: `POST /functions/v1/prompts/resolve` → a prompt version by slug
 * and label, or by version number.
 *
 * @module
 */
import { hash_api_key, parse_bearer } from "./core.ts";
import { type AllowedOrigins, corsHeaders, json } from "./http.ts";
import { MESSAGES } from "./ingest.ts";
import { type Store, StoreError } from "./store.ts";

/** Settings of the prompts handler. */
export interface PromptsOptions {
  allowedOrigins?: AllowedOrigins;
  retryAfterSeconds?: number;
  log?: (line: Record<string, unknown>) => void;
}

/** Bodies larger than this are not prompt lookups. */
const MAX_BODY = 64 * 1024;

/** Builds the handler of the `prompts` function. */
export function createPromptsHandler(
  store: Store,
  options: PromptsOptions = {},
): (request: Request) => Promise<Response> {
  const log = options.log ?? ((line) => console.log(JSON.stringify(line)));
  return async (request) => {
    const started = performance.now();
    const cors = corsHeaders(request, options.allowedOrigins ?? "*");
    const entry: Record<string, unknown> = { fn: "prompts", method: request.method };
    const answer = (status: number, body: unknown, extra: Record<string, string> = {}) => {
      entry.status = status;
      entry.duration_ms = Math.round((performance.now() - started) * 10) / 10;
      log(entry);
      return json(status, body, { ...cors, ...extra });
    };
    const failed = (e: unknown) =>
      e instanceof StoreError && e.kind === "unavailable"
        ? answer(503, { error: MESSAGES.unavailable }, { "Retry-After": String(options.retryAfterSeconds ?? 5) })
        : answer(500, { error: MESSAGES.internal });

    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors });
    if (request.method !== "POST") return answer(405, { error: MESSAGES.method });
    if (!new URL(request.url).pathname.replace(/\/+$/, "").endsWith("/resolve")) {
      return answer(404, { error: "Not found" });
    }

    const token = parse_bearer(request.headers.get("authorization") ?? undefined);
    if (token === undefined) return answer(401, { error: MESSAGES.missingAuth });
    let projectId: string | null;
    try {
      projectId = await store.resolveApiKey(hash_api_key(token));
    } catch (e) {
      return failed(e);
    }
    if (projectId === null) return answer(401, { error: MESSAGES.badKey });
    entry.project = projectId;

    let body: unknown;
    try {
      const text = await request.text();
      if (text.length > MAX_BODY) return answer(413, { error: `Payload too large: the limit is ${MAX_BODY} bytes` });
      body = JSON.parse(text);
    } catch {
      return answer(400, { error: "Invalid JSON body" });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return answer(400, { error: "JSON body must be an object" });
    }
    const b = body as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
    const slug = text(b.slug) || text(b.name);
    if (!slug) return answer(400, { error: "slug is required" });
    const label = text(b.label) || "prod";
    // Decision 11: `"version": null` means "not given" (the SDK sends it by default).
    const version = b.version ?? null;
    if (version !== null && !(typeof version === "number" && Number.isInteger(version))) {
      return answer(400, { error: "version must be an integer" });
    }
    if (version !== null && (version < -2147483648 || version > 2147483647)) {
      return answer(404, { error: "Prompt not found" });
    }

    try {
      const found = await store.resolvePrompt(projectId, slug, label, version);
      if (!found) return answer(404, { error: "Prompt not found" });
      return answer(200, { prompt_version: found });
    } catch (e) {
      return failed(e);
    }
  };
}
