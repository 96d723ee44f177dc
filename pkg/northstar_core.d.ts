/* tslint:disable */
/* eslint-disable */

/** One broken rule: where (a JSON path such as `spans[3].kind`, or `$` for the whole body), which rule, and what is wrong. */
export interface Violation { path: string; code: string; message: string }
/** Records per kind, after records sharing an id were merged. */
export interface Counts { sessions: number; runs: number; spans: number; events: number; prompt_links: number; scores: number }
/** What was repaired to store a batch (same shape as a violation): the first `maxViolations`, how many in all, and whether the list is cut. */
export interface Warnings { warnings: Violation[]; warnings_total: number; warnings_truncated: boolean }
/**
 * A batch ready for the database: each list a JSON array text, to be passed as a `jsonb` parameter;
 * or, with `format: "rows"` (`prepare_batch(…, "rows")`), sessions, runs, spans and events as rows text
 * for `private.ingest_prepared_rows` (one line per record, TAB-separated fields; see the README).
 * With `format: "binary"` (`prepare_batch(…, "binary")`) those four lists are empty strings and `columns` holds
 * them as 30 PostgreSQL binary arrays (one per field, sessions' then runs', spans' and events', in the rows'
 * field order) for `private.ingest_prepared_typed`, each to be sent as a bind parameter in binary format.
 * When something was repaired, `warnings` lists it and `warning_rows` holds every warning as a JSON
 * array text of `{kind, record_id, path, code, message}` for `private.record_ingest_warnings`.
 */
export interface PreparedBatch extends Partial<Warnings> {
    ok: true;
    sessions: string; runs: string; spans: string; events: string; prompt_links: string; scores: string;
    counts: Counts;
    warning_rows?: string;
    /** Present, `"rows"` or `"binary"`, when the record lists are rows text or binary columns. */
    format?: "rows" | "binary";
    /** With `format: "binary"`: the record lists' 30 columns, each a PostgreSQL binary array. */
    columns?: Uint8Array[];
}
/** A refused batch. `status` is 413 for a size limit, else 400; `error` is the first violation's message (upstream's exact text). */
export interface RejectedBatch { ok: false; status: number; error: string; errors: Violation[]; total: number; truncated: boolean }
export type PrepareResult = PreparedBatch | RejectedBatch;
export type ValidateResult = ({ ok: true; counts: Counts } & Partial<Warnings>) | RejectedBatch;
/** Bounds on one batch; every field is optional and falls back to its default. `strict` refuses what would be repaired. */
export interface Limits { maxBodyBytes?: number; maxRecords?: number; maxDepth?: number; maxViolations?: number; maxFieldBytes?: number; strict?: boolean }
/** How a prompt version describes one of its variables. */
export interface VariableSpec { name: string; type: "string"; required: true; default: null }



/** One reason a span (or the whole OTLP request) was refused: the span's path in the request (`resourceSpans[0].scopeSpans[0].spans[3]`, with the NorthStar record it became when a record rule refused it), or `$`. */
export interface OtlpViolation { path: string; code: string; message: string }
/** An OTLP export prepared for the database: the six lists as `prepare_batch` gives them, plus what OTLP's partial success and out-of-order arrival need. */
export interface PreparedOtlp extends PreparedBatch {
    /** JSON text: one `{id, has_root, session_rank}` per run (see the README's OTLP section). */
    trace_runs: string;
    spans_received: number;
    /** Spans left out (`partial_success.rejected_spans`); the rest are in the lists. */
    rejected_spans: number;
    /** `partial_success.error_message`; empty when no span was rejected. */
    error_message: string;
    errors: OtlpViolation[];
}
/** An OTLP request of which nothing can be stored: 400 (unreadable, or every span refused), 413 or 415. */
export interface RejectedOtlp { ok: false; status: number; error: string; errors: OtlpViolation[]; total: number; truncated: boolean }
export type PrepareOtlpResult = PreparedOtlp | RejectedOtlp;



/**
 * `sha256:` + the lowercase hex SHA-256 of the UTF-8 content, as prompt versions store it.
 */
export function content_hash(content: string): string;

/**
 * The limits used when none are given.
 */
export function default_limits(): Required<Limits>;

/**
 * The distinct variable names of a prompt template (`{{ jinja }}` and `{python}`
 * placeholders), sorted. See `src/prompt.rs` for the exact rules.
 */
export function extract_variables(content: string): string[];

/**
 * Lowercase hex SHA-256 of the token: the only form in which API keys are stored.
 */
export function hash_api_key(token: string): string;

/**
 * The token of an `Authorization` header value, or `undefined` when it is not a usable
 * `Bearer` credential.
 */
export function parse_bearer(header?: string | null): string | undefined;

/**
 * Validates an ingest body (the raw request bytes) and prepares it for the project of
 * the API key: every record stamped with `project_id`, spans parents-first, each list a
 * JSON text — or, with `format` `"rows"`, the record lists as rows text, or with
 * `"binary"` as one PostgreSQL binary array per column (`columns`). Throws only for
 * a `project_id` that is not a UUID, bad `limits` or an unknown `format`.
 */
export function prepare_batch(body: Uint8Array | number[], project_id: string, limits: Limits | undefined, format?: string | null): PrepareResult;

/**
 * Decodes an OTLP/HTTP trace export (`content_type` `application/x-protobuf` or
 * `application/json`; the body already gunzipped) and prepares it for the project of the
 * API key, like `prepare_batch`. Spans that cannot be stored are left out and counted.
 * Throws only for a `project_id` that is not a UUID or bad `limits`.
 */
export function prepare_otlp(body: Uint8Array | number[], content_type: string, project_id: string, limits: Limits | undefined): PrepareOtlpResult;

/**
 * Renders a template in one pass (values are never expanded again). Strings are inserted
 * as they are, other values as compact JSON. Throws `Missing prompt variables: a, b` when
 * variables are missing or null.
 */
export function render(content: string, variables: Record<string, unknown>): string;

/**
 * Checks an ingest body with every rule, without a project (for browsers and tools).
 * Accepts the body as a string or as bytes.
 */
export function validate_batch(body: string | Uint8Array, limits: Limits | undefined): ValidateResult;

/**
 * The variables of a template as prompt versions store them.
 */
export function variables_schema(content: string): VariableSpec[];

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly content_hash: (a: number, b: number) => [number, number];
    readonly default_limits: () => [number, number, number];
    readonly extract_variables: (a: number, b: number) => [number, number, number];
    readonly hash_api_key: (a: number, b: number) => [number, number];
    readonly parse_bearer: (a: number, b: number) => [number, number];
    readonly prepare_batch: (a: number, b: number, c: number, d: number, e: any, f: number, g: number) => [number, number, number];
    readonly prepare_otlp: (a: number, b: number, c: number, d: number, e: number, f: number, g: any) => [number, number, number];
    readonly render: (a: number, b: number, c: any) => [number, number, number, number];
    readonly validate_batch: (a: any, b: any) => [number, number, number];
    readonly variables_schema: (a: number, b: number) => [number, number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
