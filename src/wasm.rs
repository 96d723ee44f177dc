//! The WebAssembly exports: thin wrappers over the pure API, and the TypeScript types
//! of what they return. Nothing here panics on input: bad arguments from the caller
//! throw a JavaScript `Error`; bad batches come back as `{ ok: false, … }`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::batch::Counts;
use crate::{Format, Limits, PreparedBatch, Rejection};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
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
"#;

// The prepared batch is built on the JavaScript side in one call: each property set or
// string made from Rust would be a call across the boundary (and each string a
// `TextDecoder` call), which on a small batch costs as much as reading it. The six lists
// are decoded as one string and cut at their ends.
#[wasm_bindgen(inline_js = r#"
export function preparedBatch(text, e0, e1, e2, e3, e4, e5, c0, c1, c2, c3, c4, c5, warnings) {
  const batch = {
    ok: true,
    sessions: text.slice(0, e0),
    runs: text.slice(e0, e1),
    spans: text.slice(e1, e2),
    events: text.slice(e2, e3),
    prompt_links: text.slice(e3, e4),
    scores: text.slice(e4, e5),
    counts: { sessions: c0, runs: c1, spans: c2, events: c3, prompt_links: c4, scores: c5 },
  };
  return warnings === undefined ? batch : Object.assign(batch, warnings);
}
export function setBinaryColumns(batch, bytes, ends) {
  const columns = new Array(ends.length);
  let start = 0;
  for (let k = 0; k < ends.length; k++) {
    columns[k] = bytes.subarray(start, ends[k]);
    start = ends[k];
  }
  batch.format = "binary";
  batch.columns = columns;
}
"#)]
extern "C" {
    /// `text` holds the six lists one after the other; `e0`…`e5` are where they end, in
    /// UTF-16 units (JavaScript string offsets); `c0`…`c5` are the counts; `warnings`
    /// is `undefined` or the warning keys to add.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = preparedBatch)]
    fn prepared_batch_object(
        text: &str,
        e0: u32,
        e1: u32,
        e2: u32,
        e3: u32,
        e4: u32,
        e5: u32,
        c0: u32,
        c1: u32,
        c2: u32,
        c3: u32,
        c4: u32,
        c5: u32,
        warnings: JsValue,
    ) -> JsValue;

    /// Sets `format: "binary"` and `columns`: `bytes` cut at `ends` (views, no copies).
    #[wasm_bindgen(js_name = setBinaryColumns)]
    fn set_binary_columns(batch: &JsValue, bytes: js_sys::Uint8Array, ends: &[u32]);
}

/// How many UTF-16 units encode `s`: one per character, two for those outside the BMP
/// (lead bytes 0xF0–0xF4); continuation bytes count for nothing.
fn utf16_len(s: &str) -> usize {
    s.bytes().map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0)).sum()
}

/// The prepared batch as the `PreparedBatch` object. In an ASCII batch (the usual case)
/// byte offsets are UTF-16 offsets; otherwise each list's UTF-16 length is counted.
fn prepared_to_js(batch: &PreparedBatch, max_violations: usize) -> Result<JsValue, JsError> {
    let c = batch.counts;
    let [c0, c1, c2, c3, c4, c5] = [c.sessions, c.runs, c.spans, c.events, c.prompt_links, c.scores].map(|n| n as u32);
    let (text, mut ends) = batch.text();
    if !batch.is_ascii() {
        let mut end = 0;
        ends = batch.lists().map(|list| {
            end += utf16_len(list);
            end
        });
    }
    let [e0, e1, e2, e3, e4, e5] = ends.map(|e| e as u32);
    let warnings = if batch.warnings.is_empty() {
        JsValue::UNDEFINED
    } else {
        to_js(&WarningKeys::of(&batch.warnings, batch.warnings_total, max_violations, Some(batch.warning_rows())))?
    };
    Ok(prepared_batch_object(text, e0, e1, e2, e3, e4, e5, c0, c1, c2, c3, c4, c5, warnings))
}

/// The warning keys of a result (the `Warnings` type), and the rows for the database.
#[derive(Serialize)]
struct WarningKeys<'a> {
    warnings: Vec<&'a crate::Violation>,
    warnings_total: usize,
    warnings_truncated: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning_rows: Option<String>,
}

impl<'a> WarningKeys<'a> {
    fn of(warnings: &'a [crate::Warning], total: usize, cap: usize, warning_rows: Option<String>) -> Self {
        let list = crate::violation::WarningList::capped(warnings, total, cap);
        WarningKeys {
            warnings: list.list,
            warnings_total: list.total,
            warnings_truncated: list.truncated,
            warning_rows,
        }
    }
}

#[derive(Serialize)]
struct Validated<'a> {
    ok: bool,
    counts: Counts,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    warnings: Option<WarningKeys<'a>>,
}

#[derive(Serialize)]
struct Rejected<'a> {
    ok: bool,
    #[serde(flatten)]
    rejection: &'a Rejection,
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    let serializer =
        serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true).serialize_missing_as_null(true);
    value.serialize(&serializer).map_err(|e| JsError::new(&e.to_string()))
}

const LIMIT_KEYS: [&str; 6] = ["maxBodyBytes", "maxRecords", "maxDepth", "maxViolations", "maxFieldBytes", "strict"];

fn limits_from(value: JsValue) -> Result<Limits, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(Limits::default());
    }
    // serde-wasm-bindgen reads only the declared fields, so a misspelt one would be
    // ignored silently: check the keys first.
    let object = value.dyn_ref::<js_sys::Object>().ok_or_else(|| JsError::new("invalid limits: expected an object"))?;
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if !LIMIT_KEYS.contains(&key.as_str()) {
            return Err(JsError::new(&format!(
                "invalid limits: unknown key {key:?} (expected one of {})",
                LIMIT_KEYS.join(", ")
            )));
        }
    }
    let limits: Limits =
        serde_wasm_bindgen::from_value(value).map_err(|e| JsError::new(&format!("invalid limits: {e}")))?;
    limits.check().map_err(|e| JsError::new(&format!("invalid limits: {e}")))?;
    Ok(limits)
}

fn rejected(r: &Rejection) -> Result<JsValue, JsError> {
    to_js(&Rejected { ok: false, rejection: r })
}

/// Validates an ingest body (the raw request bytes) and prepares it for the project of
/// the API key: every record stamped with `project_id`, spans parents-first, each list a
/// JSON text — or, with `format` `"rows"`, the record lists as rows text, or with
/// `"binary"` as one PostgreSQL binary array per column (`columns`). Throws only for
/// a `project_id` that is not a UUID, bad `limits` or an unknown `format`.
#[wasm_bindgen(unchecked_return_type = "PrepareResult")]
pub fn prepare_batch(
    body: &[u8],
    project_id: &str,
    #[wasm_bindgen(unchecked_param_type = "Limits | undefined")] limits: JsValue,
    format: Option<String>,
) -> Result<JsValue, JsError> {
    let project = crate::formats::parse_uuid(project_id).ok_or_else(|| JsError::new("project_id must be a UUID"))?;
    let limits = limits_from(limits)?;
    let format = match format.as_deref() {
        None | Some("json") => Format::Json,
        Some("rows") => Format::Rows,
        Some("binary") => Format::Binary,
        Some(other) => {
            return Err(JsError::new(&format!("format must be \"json\", \"rows\" or \"binary\", not {other:?}")))
        }
    };
    match crate::prepare_batch_as(body, project, &limits, format) {
        Ok(batch) => {
            let object = prepared_to_js(&batch, limits.max_violations)?;
            match format {
                Format::Json => {}
                Format::Rows => {
                    js_sys::Reflect::set(&object, &JsValue::from_str("format"), &JsValue::from_str("rows"))
                        .map_err(|_| JsError::new("could not build the result object"))?;
                }
                Format::Binary => {
                    let (bytes, ends) = batch.binary();
                    let ends: Vec<u32> = ends.iter().map(|&e| e as u32).collect();
                    // One copy out of the wasm memory; the columns are views of it.
                    set_binary_columns(&object, js_sys::Uint8Array::from(bytes), &ends);
                }
            }
            Ok(object)
        }
        Err(r) => rejected(&r),
    }
}

/// Checks an ingest body with every rule, without a project (for browsers and tools).
/// Accepts the body as a string or as bytes.
#[wasm_bindgen(unchecked_return_type = "ValidateResult")]
pub fn validate_batch(
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Limits | undefined")] limits: JsValue,
) -> Result<JsValue, JsError> {
    let limits = limits_from(limits)?;
    let bytes = if let Some(text) = body.as_string() {
        text.into_bytes()
    } else if body.is_instance_of::<js_sys::Uint8Array>() {
        js_sys::Uint8Array::from(body).to_vec()
    } else {
        return Err(JsError::new("body must be a string or a Uint8Array"));
    };
    match crate::validate_batch(&bytes, &limits) {
        Ok(v) => {
            let warnings = (v.warnings_total > 0)
                .then(|| WarningKeys::of(&v.warnings, v.warnings_total, limits.max_violations, None));
            to_js(&Validated { ok: true, counts: v.counts, warnings })
        }
        Err(r) => rejected(&r),
    }
}

/// Lowercase hex SHA-256 of the token: the only form in which API keys are stored.
#[wasm_bindgen]
pub fn hash_api_key(token: &str) -> String {
    crate::hash_api_key(token)
}

/// The token of an `Authorization` header value, or `undefined` when it is not a usable
/// `Bearer` credential.
#[wasm_bindgen]
pub fn parse_bearer(header: Option<String>) -> Option<String> {
    header.as_deref().and_then(crate::parse_bearer).map(str::to_owned)
}

/// The limits used when none are given.
#[wasm_bindgen(unchecked_return_type = "Required<Limits>")]
pub fn default_limits() -> Result<JsValue, JsError> {
    to_js(&Limits::default())
}

/// The distinct variable names of a prompt template (`{{ jinja }}` and `{python}`
/// placeholders), sorted. See `src/prompt.rs` for the exact rules.
#[wasm_bindgen(unchecked_return_type = "string[]")]
pub fn extract_variables(content: &str) -> Result<JsValue, JsError> {
    to_js(&crate::prompt::extract_variables(content))
}

/// The variables of a template as prompt versions store them.
#[wasm_bindgen(unchecked_return_type = "VariableSpec[]")]
pub fn variables_schema(content: &str) -> Result<JsValue, JsError> {
    to_js(&crate::prompt::variables_schema(content))
}

/// Renders a template in one pass (values are never expanded again). Strings are inserted
/// as they are, other values as compact JSON. Throws `Missing prompt variables: a, b` when
/// variables are missing or null.
#[wasm_bindgen]
pub fn render(
    content: &str,
    #[wasm_bindgen(unchecked_param_type = "Record<string, unknown>")] variables: JsValue,
) -> Result<String, JsError> {
    let values: serde_json::Map<String, serde_json::Value> = if variables.is_undefined() || variables.is_null() {
        serde_json::Map::new()
    } else {
        serde_wasm_bindgen::from_value(variables)
            .map_err(|e| JsError::new(&format!("variables must be an object: {e}")))?
    };
    crate::prompt::render(content, &values).map_err(|e| JsError::new(&e.to_string()))
}

/// `sha256:` + the lowercase hex SHA-256 of the UTF-8 content, as prompt versions store it.
#[wasm_bindgen]
pub fn content_hash(content: &str) -> String {
    crate::prompt::content_hash(content)
}

// ---- OTLP/HTTP traces (src/otlp/) ----

#[wasm_bindgen(typescript_custom_section)]
const OTLP_TYPES: &'static str = r#"
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
"#;

#[derive(Serialize)]
struct RejectedOtlp<'a> {
    ok: bool,
    #[serde(flatten)]
    rejection: &'a crate::otlp::OtlpRejection,
}

/// Decodes an OTLP/HTTP trace export (`content_type` `application/x-protobuf` or
/// `application/json`; the body already gunzipped) and prepares it for the project of the
/// API key, like `prepare_batch`. Spans that cannot be stored are left out and counted.
/// Throws only for a `project_id` that is not a UUID or bad `limits`.
#[wasm_bindgen(unchecked_return_type = "PrepareOtlpResult")]
pub fn prepare_otlp(
    body: &[u8],
    content_type: &str,
    project_id: &str,
    #[wasm_bindgen(unchecked_param_type = "Limits | undefined")] limits: JsValue,
) -> Result<JsValue, JsError> {
    let project = crate::formats::parse_uuid(project_id).ok_or_else(|| JsError::new("project_id must be a UUID"))?;
    let limits = limits_from(limits)?;
    match crate::otlp::prepare_otlp(body, content_type, project, &limits) {
        Ok(p) => {
            let object = prepared_to_js(&p.batch, limits.max_violations)?;
            let set = |key: &str, value: JsValue| js_sys::Reflect::set(&object, &JsValue::from_str(key), &value);
            set("trace_runs", JsValue::from_str(&p.trace_runs))
                .and_then(|_| set("spans_received", JsValue::from(p.spans_received as u32)))
                .and_then(|_| set("rejected_spans", JsValue::from(p.rejected_spans as u32)))
                .and_then(|_| set("error_message", JsValue::from_str(&p.error_message)))
                .and_then(|_| set("errors", to_js(&p.errors).unwrap_or(JsValue::NULL)))
                .map_err(|_| JsError::new("could not build the result object"))?;
            Ok(object)
        }
        Err(r) => to_js(&RejectedOtlp { ok: false, rejection: &r }),
    }
}
