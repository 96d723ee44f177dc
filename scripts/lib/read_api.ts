/**
 * The trace viewer of the local server: its static pages (`web/viewer/`, plus `pkg/` for the
 * validator) and a small read API over the database's own read models, the
 * `public.dashboard_*` functions the NorthStar dashboard calls. Nothing here reads a table.
 *
 * Access: every `/api/…` answer needs the viewer token, sent as `Authorization: Bearer …` or
 * as the cookie the server sets when the page is opened with `?token=…` (the URL printed at
 * start-up, as notebook servers do). No CORS header is ever sent, so other web pages cannot
 * read the answers; the cookie is `SameSite=Strict` and `HttpOnly`.
 *
 * Routes (GET or HEAD):
 * - `/api/project` — the project served;
 * - `/api/sessions` — `dashboard_list_sessions`;
 * - `/api/sessions/:id` — `dashboard_get_session`, `dashboard_session_cost`, `dashboard_list_traces`;
 * - `/api/traces/:id` — `dashboard_get_trace`, `…_list_trace_spans`, `…_list_trace_events`,
 *   `…_list_scores`, `…_list_trace_prompt_links`;
 * - `/api/prompts` — `dashboard_list_prompts`; `/api/prompts/:id` — `dashboard_get_prompt`.
 *
 * @module
 */
import { classify } from "../../supabase/functions/_shared/store.ts";

/** Runs one parameterised SQL statement (PGlite or postgres.js, as `MigrationDb.query`). */
export type QueryFn = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

/** What the viewer needs from the server. */
export interface ViewerOptions {
  /** Database access; the viewer only ever calls `public.dashboard_*` functions through it. */
  query: QueryFn;
  /** The project whose data is shown (the local server's project). */
  projectId: string;
  projectName: string;
  /** The access token; a fresh random one when omitted. */
  token?: string;
  /** The repository root holding `web/viewer/` and `pkg/`; defaults to this file's repository. */
  root?: URL;
}

/** The viewer as the server sees it: which paths it answers, how, and the URL to print. */
export interface Viewer {
  /** The token the read API requires. */
  readonly token: string;
  /** Whether a request path belongs to the viewer (`/`, `/viewer/…`, `/pkg/…`, `/api/…`). */
  handles(path: string): boolean;
  /** Answers a request for one of those paths. */
  handle(request: Request): Promise<Response>;
  /** The URL to open, token included, for a server listening on `port`. */
  url(port: number): string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/**
 * Stored trace content is untrusted: the pages only ever set it as text, and this policy is
 * the second line (no inline script, no foreign origin; wasm compilation for the validator).
 */
const PAGE_HEADERS = {
  "Content-Security-Policy": "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " +
    "form-action 'none'",
  "X-Content-Type-Options": "nosniff",
  // The token travels in the first URL: never pass it on as a referrer.
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

/** `[0-9A-Za-z_-]` × 32 from 24 random bytes. */
function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_");
}

/** Compares in time independent of where the strings first differ. */
function sameToken(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Cookies are not scoped by port: one name per port keeps two local servers apart. */
function cookieName(request: Request): string {
  const url = new URL(request.url);
  return `northstar_viewer_${url.port || "80"}`;
}

function cookieValue(request: Request, name: string): string | null {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function json(status: number, body: unknown, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...extra },
  });
}

/** A 400 naming the offending path segment, as every bad input gets. */
function badId(path: string): Response {
  return json(400, {
    error: `${path} is not a valid UUID`,
    errors: [{ path, code: "invalid_uuid", message: `${path} is not a valid UUID` }],
  });
}

/**
 * A read model's rows as one JSON array, in the function's own order. `json`, not `jsonb`:
 * the rows are only passed on, and `json_agg` of the row values is about twice as fast on
 * 5,000 spans (`deno task bench:viewer`, PGlite: 68 ms against 134 ms for `jsonb_agg(to_jsonb(…))`), with
 * the columns in the function's order. The function is called in the select list, so each row
 * is one composite value; `row_number() OVER ()` numbers them as the function returns them.
 */
function rows(call: string): string {
  return `(SELECT coalesce(json_agg(t.r ORDER BY t.n), '[]'::json)
    FROM (SELECT q.r, row_number() OVER () AS n FROM (SELECT ${call} AS r) q) t)`;
}

/** A read model's first row as a JSON object, or null when it returns none. */
function row(call: string): string {
  return `(SELECT row_to_json(q.r) FROM (SELECT ${call} AS r) q LIMIT 1)`;
}

/**
 * Each answer is one statement building one JSON text, so a page sees one snapshot while an
 * agent is writing, and the text goes to the browser without being parsed here.
 * `$1` is always the project.
 */
const QUERIES = {
  sessions: `SELECT ${rows("public.dashboard_list_sessions($1::uuid)")}::text AS body`,
  session: `WITH answer AS (SELECT json_build_object(
      'session', ${row("public.dashboard_get_session($1::uuid, $2::uuid)")},
      'cost', ${row("public.dashboard_session_cost($1::uuid, $2::uuid)")},
      'traces', ${rows("public.dashboard_list_traces($1::uuid, $2::uuid)")}) AS j)
    SELECT j::text AS body, json_typeof(j->'session') <> 'null' AS found FROM answer`,
  trace: `WITH answer AS (SELECT json_build_object(
      'trace', ${row("public.dashboard_get_trace($1::uuid, $2::uuid)")},
      'spans', ${rows("public.dashboard_list_trace_spans($1::uuid, $2::uuid)")},
      'events', ${rows("public.dashboard_list_trace_events($1::uuid, $2::uuid)")},
      'scores', ${rows("public.dashboard_list_scores($1::uuid, $2::uuid)")},
      'prompt_links', ${rows("public.dashboard_list_trace_prompt_links($1::uuid, $2::uuid)")}) AS j)
    SELECT j::text AS body, json_typeof(j->'trace') <> 'null' AS found FROM answer`,
  prompts: `SELECT ${rows("public.dashboard_list_prompts($1::uuid)")}::text AS body`,
  prompt: `SELECT ${row("public.dashboard_get_prompt($1::uuid, $2::uuid)")}::text AS body`,
};

/** Hex SHA-256 of a text, as a strong ETag (polling pages revalidate instead of re-reading). */
async function etagOf(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return `"${Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")}"`;
}

/** The viewer over a database; see the module documentation for its routes. */
export function createViewer(options: ViewerOptions): Viewer {
  const token = options.token ?? randomToken();
  const root = options.root ?? new URL("../../", import.meta.url);
  const webDir = new URL("web/viewer/", root);
  const pkgDir = new URL("pkg/", root);

  /** A JSON answer from one statement: its `body` column, or 404 when null or `found` is false. */
  async function answer(request: Request, sql: string, params: unknown[]): Promise<Response> {
    let body: string | null;
    let dbMs: number;
    const started = performance.now();
    try {
      const result = await options.query(sql, params);
      dbMs = performance.now() - started;
      body = (result[0]?.body as string | null | undefined) ?? null;
      if (result[0]?.found === false) body = null;
    } catch (e) {
      const err = classify(e);
      const status = err.kind === "unavailable" ? 503 : 500;
      return json(status, { error: `database: ${err.message}` });
    }
    if (body === null) {
      return json(404, { error: "Not found" });
    }
    const etag = await etagOf(body);
    const headers = {
      "Content-Type": "application/json; charset=utf-8",
      // Stored privately and revalidated on every poll: unchanged data costs a 304.
      "Cache-Control": "private, no-cache",
      ETag: etag,
      "Server-Timing": `db;dur=${dbMs.toFixed(1)}`,
    };
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(request.method === "HEAD" ? null : body, { status: 200, headers });
  }

  function authorized(request: Request): boolean {
    const header = request.headers.get("authorization") ?? "";
    const bearer = /^bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (bearer !== undefined) return sameToken(bearer, token);
    const cookie = cookieValue(request, cookieName(request));
    return cookie !== null && sameToken(cookie, token);
  }

  function api(request: Request, path: string): Response | Promise<Response> {
    if (!authorized(request)) {
      return json(401, {
        error: "The viewer token is required: open the viewer URL printed at start-up (it ends in ?token=…), " +
          "or send Authorization: Bearer <token>",
      });
    }
    const parts = path.split("/").slice(2); // "", "api", …
    const [what, id, ...rest] = parts;
    if (rest.length > 0 || id === "") return json(404, { error: "Not found" });
    const project = options.projectId;
    switch (what) {
      case "project":
        if (id !== undefined) break;
        return json(200, { project_id: project, project_name: options.projectName });
      case "sessions":
        if (id === undefined) return answer(request, QUERIES.sessions, [project]);
        if (!UUID.test(id)) return badId("session_id");
        return answer(request, QUERIES.session, [project, id]);
      case "traces":
        if (id === undefined) break;
        if (!UUID.test(id)) return badId("trace_id");
        return answer(request, QUERIES.trace, [project, id]);
      case "prompts":
        if (id === undefined) return answer(request, QUERIES.prompts, [project]);
        if (!UUID.test(id)) return badId("prompt_id");
        return answer(request, QUERIES.prompt, [project, id]);
    }
    return json(404, { error: "Not found" });
  }

  /** A file of `dir`, or null. Paths with `..`, `%`, `\` or a dot-file segment never reach the disk. */
  async function file(dir: URL, relative: string): Promise<Response | null> {
    if (relative === "" || /(^|\/)\.|%|\\/.test(relative)) return null;
    const ext = relative.slice(relative.lastIndexOf("."));
    const type = CONTENT_TYPES[ext];
    if (!type) return null;
    try {
      const bytes = await Deno.readFile(new URL(relative, dir));
      return new Response(bytes, {
        headers: { "Content-Type": type, "Cache-Control": "no-cache", ...PAGE_HEADERS },
      });
    } catch {
      return null;
    }
  }

  async function page(request: Request, path: string): Promise<Response> {
    const url = new URL(request.url);
    const given = url.searchParams.get("token");
    if (path === "/" && given !== null) {
      // Trade the URL's token for a cookie, and drop it from the address bar and history.
      if (!sameToken(given, token)) {
        return new Response("Wrong viewer token: open the URL printed at start-up.\n", {
          status: 401,
          headers: { "Content-Type": "text/plain; charset=utf-8", ...PAGE_HEADERS },
        });
      }
      return new Response(null, {
        status: 303,
        headers: {
          Location: "/",
          "Set-Cookie": `${cookieName(request)}=${token}; Path=/; HttpOnly; SameSite=Strict`,
          ...PAGE_HEADERS,
        },
      });
    }
    const found = path === "/" || path === "/index.html"
      ? await file(webDir, "index.html")
      : path.startsWith("/viewer/")
      ? await file(webDir, path.slice("/viewer/".length))
      : await file(pkgDir, path.slice("/pkg/".length));
    return found ?? json(404, { error: "Not found" });
  }

  return {
    token,
    handles: (path) =>
      path === "/" || path === "/index.html" || path === "/api" || path.startsWith("/api/") ||
      path.startsWith("/viewer/") || path.startsWith("/pkg/"),
    handle: async (request) => {
      const path = new URL(request.url).pathname;
      if (request.method !== "GET" && request.method !== "HEAD") {
        return json(405, { error: "Method not allowed: the viewer only reads" }, { Allow: "GET, HEAD" });
      }
      return path === "/api" || path.startsWith("/api/") ? await api(request, path) : await page(request, path);
    },
    url: (port) => `http://127.0.0.1:${port}/?token=${token}`,
  };
}
