/**
 * The `prompts` handler: `POST /functions/v1/prompts/resolve` → a prompt version by slug
 * and label, or by version number.
 *
 * @module
 */
import { type CommonOptions, RequestContext } from "./request.ts";
import type { Store } from "./store.ts";

/** Settings of the prompts handler. */
export type PromptsOptions = CommonOptions;

/** Bodies larger than this are not prompt lookups. */
const MAX_BODY = 64 * 1024;

/** Builds the handler of the `prompts` function. */
export function createPromptsHandler(
  store: Store,
  options: PromptsOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    const cx = new RequestContext("prompts", request, options);
    const early = cx.opening();
    if (early) return early;
    if (!new URL(request.url).pathname.replace(/\/+$/, "").endsWith("/resolve")) {
      return cx.answer(404, { error: "Not found" });
    }
    const projectId = await cx.authenticate(store);
    if (projectId instanceof Response) return projectId;

    let body: unknown;
    try {
      const text = await request.text();
      if (text.length > MAX_BODY) return cx.answer(413, { error: `Payload too large: the limit is ${MAX_BODY} bytes` });
      body = JSON.parse(text);
    } catch {
      return cx.answer(400, { error: "Invalid JSON body" });
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return cx.answer(400, { error: "JSON body must be an object" });
    }
    const b = body as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
    const slug = text(b.slug) || text(b.name);
    if (!slug) return cx.answer(400, { error: "slug is required" });
    const label = text(b.label) || "prod";
    // Decision 11: `"version": null` means "not given" (the SDK sends it by default).
    const version = b.version ?? null;
    if (version !== null && !(typeof version === "number" && Number.isInteger(version))) {
      return cx.answer(400, { error: "version must be an integer" });
    }
    if (version !== null && (version < -2147483648 || version > 2147483647)) {
      return cx.answer(404, { error: "Prompt not found" });
    }

    try {
      const found = await store.resolvePrompt(projectId, slug, label, version);
      if (!found) return cx.answer(404, { error: "Prompt not found" });
      return cx.answer(200, { prompt_version: found });
    } catch (e) {
      return cx.storeFailure(e);
    }
  };
}
