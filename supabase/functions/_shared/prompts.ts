/**
 * The `prompts` handler: `POST /functions/v1/prompts/resolve` → a prompt version by slug
 * and label, or by version number.
 *
 * @module
 */
import { BodyError, DEFAULT_READ_TIMEOUT_MS, readBody } from "./http.ts";
import { promptKeyViolations } from "./prompt_inputs.ts";
import { type CommonOptions, guardHandler, type RequestContext } from "./request.ts";
import type { Store } from "./store.ts";

/** Settings of the prompts handler. */
export type PromptsOptions = CommonOptions;

/** Bodies larger than this are not prompt lookups. */
const MAX_BODY = 64 * 1024;

/** A 400 with one violation, in the ingest 400s' shape. */
function refuse(cx: RequestContext, path: string, code: string, message: string): Response {
  return cx.answer(400, { error: message, errors: [{ path, code, message }] });
}

/** Builds the handler of the `prompts` function. */
export function createPromptsHandler(
  store: Store,
  options: PromptsOptions = {},
): (request: Request) => Promise<Response> {
  const limits = {
    maxBodyBytes: MAX_BODY,
    maxDecompressedBytes: MAX_BODY,
    readTimeoutMs: options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS,
  };
  return guardHandler("prompts", options, async (request, cx) => {
    const early = cx.opening();
    if (early) return early;
    if (!new URL(request.url).pathname.replace(/\/+$/, "").endsWith("/resolve")) {
      return cx.answer(404, { error: "Not found" });
    }
    const projectId = await cx.authenticate(store);
    if (projectId instanceof Response) return projectId;

    // Read within the limit while streaming: a larger body is refused as soon as it passes it.
    let bytes: Uint8Array;
    try {
      bytes = await readBody(request, limits);
    } catch (e) {
      if (e instanceof BodyError) return cx.answer(e.status, { error: e.message });
      throw e;
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    } catch {
      return refuse(cx, "$", "invalid_json", "Invalid JSON body");
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return refuse(cx, "$", "not_object", "JSON body must be an object");
    }
    const b = body as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
    const slugField = text(b.slug) ? "slug" : "name";
    const slug = text(b[slugField]);
    if (!slug) return refuse(cx, "slug", "required", "slug is required");
    const label = text(b.label) || "prod";
    const violations = [...promptKeyViolations(slugField, slug), ...promptKeyViolations("label", label)];
    if (violations.length > 0) return cx.answer(400, { error: violations[0].message, errors: violations });
    // Decision 11: `"version": null` means "not given" (the SDK sends it by default).
    const version = b.version ?? null;
    if (version !== null && !(typeof version === "number" && Number.isInteger(version))) {
      return refuse(cx, "version", "invalid_type", "version must be an integer");
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
  });
}
