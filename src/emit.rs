//! Writes a checked batch as one JSON array text per entity list, stamping the API
//! key's project on every record. Pass-through values are copied as the raw text that
//! was sent; ids are written in canonical lowercase form; absent optional fields are
//! left out, so the database can tell "not sent" (keep what is stored) from a value.
//!
//! The six lists are written one after the other into a single buffer, sized once from
//! the body, with every key written as one constant piece.
//!
//! [`Format::Rows`] writes the four record lists instead as rows text for
//! `private.ingest_prepared_rows` (migration 036), which PostgreSQL splits with
//! `string_to_table`/`split_part` at about the cost of `COPY`, where a jsonb parameter is
//! parsed whole and then taken apart again: one line per record (LF between lines), fields
//! separated by TAB in [`ROW_FIELDS`] order, an absent field empty. Ids are canonical
//! text; timestamps and enum words as in the JSON lists; a name is its JSON string literal,
//! quotes included; a JSON value is its raw text with any TAB, LF or CR — whitespace
//! between tokens, since inside a JSON string they are always escaped — written as a
//! space. No field therefore holds a TAB, LF or CR. The project is not written: every row
//! is the project's the function is called for.
//!
//! [`Format::Binary`] writes the four record lists instead as one PostgreSQL binary array
//! per column, in [`ROW_FIELDS`] order with the element types of [`ROW_TYPES`], for
//! `private.ingest_prepared_typed` (migration 038); see [`crate::binary`]. The record
//! lists' texts are then empty.

use uuid::Uuid;

use crate::batch::{CheckedBatch, PreparedBatch};
use crate::binary::{ArrayWriter, PgType};
use crate::formats::format_uuid;

/// `,"name":` — the piece written before a field's value.
macro_rules! key {
    ($name:literal) => {
        concat!(",\"", $name, "\":").as_bytes()
    };
}

/// The record being written. Every field is written with a leading comma; [`Rec::end`]
/// turns the first one into the record's opening brace.
struct Rec<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
}

impl<'o> Rec<'o> {
    #[inline(always)]
    fn begin(out: &'o mut Vec<u8>) -> Self {
        if out.last() != Some(&b'[') {
            out.push(b',');
        }
        let start = out.len();
        Rec { out, start }
    }

    /// A value that is already JSON text.
    #[inline(always)]
    fn raw(&mut self, key: &[u8], json: &str) -> &mut Self {
        self.out.extend_from_slice(key);
        self.out.extend_from_slice(json.as_bytes());
        self
    }

    #[inline(always)]
    fn raw_opt(&mut self, key: &[u8], json: Option<&str>) -> &mut Self {
        if let Some(json) = json {
            self.raw(key, json);
        }
        self
    }

    /// A string known to need no escaping (timestamps, enum words).
    #[inline(always)]
    fn plain(&mut self, key: &[u8], text: &str) -> &mut Self {
        self.out.extend_from_slice(key);
        self.out.push(b'"');
        self.out.extend_from_slice(text.as_bytes());
        self.out.push(b'"');
        self
    }

    /// Bytes that are already JSON text (the quoted project id).
    #[inline(always)]
    fn bytes(&mut self, key: &[u8], json: &[u8]) -> &mut Self {
        self.out.extend_from_slice(key);
        self.out.extend_from_slice(json);
        self
    }

    #[inline(always)]
    fn plain_opt(&mut self, key: &[u8], text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.plain(key, text);
        }
        self
    }

    #[inline(always)]
    fn uuid(&mut self, key: &[u8], id: Uuid) -> &mut Self {
        self.out.extend_from_slice(key);
        self.out.extend_from_slice(&quoted(id));
        self
    }

    #[inline(always)]
    fn uuid_opt(&mut self, key: &[u8], id: Option<Uuid>) -> &mut Self {
        if let Some(id) = id {
            self.uuid(key, id);
        }
        self
    }

    #[inline(always)]
    fn end(&mut self) {
        self.out[self.start] = b'{';
        self.out.push(b'}');
    }
}

/// `"…"`: the canonical text of `id` in quotes.
#[inline(always)]
fn quoted(id: Uuid) -> [u8; 38] {
    let mut q = [b'"'; 38];
    q[1..37].copy_from_slice(format_uuid(id).as_bytes());
    q
}

/// Writes one list and returns where it ends.
#[inline(always)]
fn list<T>(out: &mut Vec<u8>, records: &[(usize, T)], write: impl Fn(&mut Vec<u8>, &T)) -> usize {
    out.push(b'[');
    for (_, r) in records {
        write(out, r);
    }
    out.push(b']');
    out.len()
}

/// How the four record lists are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON arrays of objects (`private.ingest_prepared_batch`).
    #[default]
    Json,
    /// Rows text (`private.ingest_prepared_rows`), see the module documentation.
    Rows,
    /// One binary array per column (`private.ingest_prepared_typed`), see the module
    /// documentation.
    Binary,
}

impl Format {
    /// The name `prepare_batch` takes and returns in JavaScript.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Rows => "rows",
            Format::Binary => "binary",
        }
    }
}

/// The fields of each record list's rows, in order (sessions, runs, spans, events).
pub const ROW_FIELDS: [&[&str]; 4] = [
    &["id", "created_at", "ended_at", "metadata"],
    &["id", "session_id", "name", "started_at", "ended_at", "status", "error", "metadata"],
    &[
        "id",
        "run_id",
        "parent_span_id",
        "kind",
        "name",
        "started_at",
        "ended_at",
        "status",
        "error",
        "iteration",
        "attributes",
    ],
    &["id", "run_id", "span_id", "type", "created_at", "content", "attributes"],
];

/// The element type of each field of [`ROW_FIELDS`], as the binary format writes it.
pub const ROW_TYPES: [&[PgType]; 4] = {
    use PgType::*;
    [
        &[Uuid, Timestamptz, Timestamptz, Jsonb],
        &[Uuid, Uuid, Text, Timestamptz, Timestamptz, Text, Jsonb, Jsonb],
        &[Uuid, Uuid, Uuid, Text, Text, Timestamptz, Timestamptz, Text, Jsonb, Int4, Jsonb],
        &[Uuid, Uuid, Uuid, Text, Timestamptz, Jsonb, Jsonb],
    ]
};

/// How many binary columns a batch has (the fields of the four record lists).
pub const BINARY_COLUMNS: usize = 30;

/// Writes one column of `records` as a binary array of `ty` and records where it ends.
#[inline(always)]
fn column<T>(
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
    records: &[(usize, T)],
    ty: PgType,
    push: impl Fn(&mut ArrayWriter, &T),
) {
    let mut w = ArrayWriter::begin(out, ty);
    for (_, r) in records {
        push(&mut w, r);
    }
    w.end();
    ends.push(out.len());
}

/// The four record lists as binary columns: the bytes, and where each column ends.
fn binary_columns(batch: &CheckedBatch) -> (Vec<u8>, Vec<usize>) {
    use PgType::*;
    let records = batch.counts().total();
    let mut out = Vec::with_capacity(BINARY_COLUMNS * 12 + batch.sent_bytes[..4].iter().sum::<usize>() + records * 32);
    let mut ends = Vec::with_capacity(BINARY_COLUMNS);
    let (o, e) = (&mut out, &mut ends);
    let s = &batch.sessions;
    column(o, e, s, Uuid, |w, s| w.push_uuid(s.id));
    column(o, e, s, Timestamptz, |w, s| w.push_timestamp(&s.created_at));
    column(o, e, s, Timestamptz, |w, s| w.push_timestamp_opt(s.ended_at.as_deref()));
    column(o, e, s, Jsonb, |w, s| w.push_jsonb_opt(s.metadata.as_deref()));
    let r = &batch.runs;
    column(o, e, r, Uuid, |w, r| w.push_uuid(r.id));
    column(o, e, r, Uuid, |w, r| w.push_uuid(r.session_id));
    column(o, e, r, Text, |w, r| w.push_json_string(&r.name));
    column(o, e, r, Timestamptz, |w, r| w.push_timestamp(&r.started_at));
    column(o, e, r, Timestamptz, |w, r| w.push_timestamp_opt(r.ended_at.as_deref()));
    column(o, e, r, Text, |w, r| w.push_text(r.status.as_str()));
    column(o, e, r, Jsonb, |w, r| w.push_jsonb_opt(r.error.as_deref()));
    column(o, e, r, Jsonb, |w, r| w.push_jsonb_opt(r.metadata.as_deref()));
    let p = &batch.spans;
    column(o, e, p, Uuid, |w, s| w.push_uuid(s.id));
    column(o, e, p, Uuid, |w, s| w.push_uuid(s.run_id));
    column(o, e, p, Uuid, |w, s| w.push_uuid_opt(s.parent_span_id));
    column(o, e, p, Text, |w, s| w.push_text(s.kind.as_str()));
    column(o, e, p, Text, |w, s| w.push_json_string(&s.name));
    column(o, e, p, Timestamptz, |w, s| w.push_timestamp(&s.started_at));
    column(o, e, p, Timestamptz, |w, s| w.push_timestamp_opt(s.ended_at.as_deref()));
    column(o, e, p, Text, |w, s| w.push_text(s.status.as_str()));
    column(o, e, p, Jsonb, |w, s| w.push_jsonb_opt(s.error.as_deref()));
    column(o, e, p, Int4, |w, s| w.push_int4_opt(s.iteration));
    column(o, e, p, Jsonb, |w, s| w.push_jsonb_opt(s.attributes.as_deref()));
    let v = &batch.events;
    column(o, e, v, Uuid, |w, e| w.push_uuid(e.id));
    column(o, e, v, Uuid, |w, e| w.push_uuid(e.run_id));
    column(o, e, v, Uuid, |w, e| w.push_uuid_opt(e.span_id));
    column(o, e, v, Text, |w, e| w.push_text(e.event_type.as_str()));
    column(o, e, v, Timestamptz, |w, e| w.push_timestamp(&e.created_at));
    column(o, e, v, Jsonb, |w, e| w.push_jsonb_opt(e.content.as_deref()));
    column(o, e, v, Jsonb, |w, e| w.push_jsonb_opt(e.attributes.as_deref()));
    debug_assert_eq!(ends.len(), BINARY_COLUMNS);
    (out, ends)
}

/// The row being written: fields after the first are preceded by a TAB.
struct Row<'o> {
    out: &'o mut Vec<u8>,
}

impl<'o> Row<'o> {
    /// Starts a row with its first field, the id (rows after the first begin with an LF).
    #[inline(always)]
    fn begin(out: &'o mut Vec<u8>, id: Uuid, first: bool) -> Self {
        if !first {
            out.push(b'\n');
        }
        out.extend_from_slice(format_uuid(id).as_bytes());
        Row { out }
    }

    #[inline(always)]
    fn text(&mut self, text: &str) -> &mut Self {
        self.out.push(b'\t');
        self.out.extend_from_slice(text.as_bytes());
        self
    }

    #[inline(always)]
    fn text_opt(&mut self, text: Option<&str>) -> &mut Self {
        self.out.push(b'\t');
        if let Some(text) = text {
            self.out.extend_from_slice(text.as_bytes());
        }
        self
    }

    #[inline(always)]
    fn uuid(&mut self, id: Uuid) -> &mut Self {
        self.out.push(b'\t');
        self.out.extend_from_slice(format_uuid(id).as_bytes());
        self
    }

    #[inline(always)]
    fn uuid_opt(&mut self, id: Option<Uuid>) -> &mut Self {
        self.out.push(b'\t');
        if let Some(id) = id {
            self.out.extend_from_slice(format_uuid(id).as_bytes());
        }
        self
    }

    /// JSON text, its TAB/LF/CR whitespace written as spaces.
    #[inline(always)]
    fn json_opt(&mut self, json: Option<&str>) -> &mut Self {
        self.out.push(b'\t');
        if let Some(json) = json {
            let start = self.out.len();
            self.out.extend_from_slice(json.as_bytes());
            if json.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
                for b in &mut self.out[start..] {
                    if matches!(*b, b'\t' | b'\n' | b'\r') {
                        *b = b' ';
                    }
                }
            }
        }
        self
    }
}

/// Writes one record list as rows and returns where it ends.
#[inline(always)]
fn rows<T>(out: &mut Vec<u8>, records: &[(usize, T)], write: impl Fn(&mut Vec<u8>, &T, bool)) -> usize {
    for (k, (_, r)) in records.iter().enumerate() {
        write(out, r, k == 0);
    }
    out.len()
}

/// Writes every list of a checked batch for `project_id`, the record lists in `format`.
pub fn write(batch: &CheckedBatch, project_id: Uuid, format: Format) -> PreparedBatch {
    let project = quoted(project_id);
    let pid: &[u8] = &project;
    // Each record grows by at most its project id and a little key overhead, so the
    // buffer is allocated once. In the binary format it holds only the prompt links and
    // scores (the record lists are the columns).
    let c = batch.counts();
    let (bytes, records) = match format {
        Format::Binary => (batch.sent_bytes[4..].iter().sum::<usize>(), c.prompt_links + c.scores),
        Format::Json | Format::Rows => (batch.sent_bytes.iter().sum::<usize>(), c.total()),
    };
    let mut out = Vec::with_capacity(12 + bytes + records * 64);
    let o = &mut out;
    let mut columns = None;
    let records_end = match format {
        Format::Binary => {
            columns = Some(binary_columns(batch));
            [0; 4]
        }
        Format::Json => [
            list(o, &batch.sessions, |out, s| {
                Rec::begin(out)
                    .uuid(key!("id"), s.id)
                    .bytes(key!("project_id"), pid)
                    .plain(key!("created_at"), &s.created_at)
                    .plain_opt(key!("ended_at"), s.ended_at.as_deref())
                    .raw_opt(key!("metadata"), s.metadata.as_deref())
                    .end()
            }),
            list(o, &batch.runs, |out, r| {
                Rec::begin(out)
                    .uuid(key!("id"), r.id)
                    .bytes(key!("project_id"), pid)
                    .uuid(key!("session_id"), r.session_id)
                    .raw(key!("name"), &r.name)
                    .plain(key!("started_at"), &r.started_at)
                    .plain_opt(key!("ended_at"), r.ended_at.as_deref())
                    .plain(key!("status"), r.status.as_str())
                    .raw_opt(key!("error"), r.error.as_deref())
                    .raw_opt(key!("metadata"), r.metadata.as_deref())
                    .end()
            }),
            list(o, &batch.spans, |out, s| {
                let mut rec = Rec::begin(out);
                rec.uuid(key!("id"), s.id)
                    .bytes(key!("project_id"), pid)
                    .uuid(key!("run_id"), s.run_id)
                    .uuid_opt(key!("parent_span_id"), s.parent_span_id)
                    .plain(key!("kind"), s.kind.as_str())
                    .raw(key!("name"), &s.name)
                    .plain(key!("started_at"), &s.started_at)
                    .plain_opt(key!("ended_at"), s.ended_at.as_deref())
                    .plain(key!("status"), s.status.as_str())
                    .raw_opt(key!("error"), s.error.as_deref());
                if let Some(n) = s.iteration {
                    rec.raw(key!("iteration"), itoa::Buffer::new().format(n));
                }
                rec.raw_opt(key!("attributes"), s.attributes.as_deref()).end()
            }),
            list(o, &batch.events, |out, e| {
                Rec::begin(out)
                    .uuid(key!("id"), e.id)
                    .bytes(key!("project_id"), pid)
                    .uuid(key!("run_id"), e.run_id)
                    .uuid_opt(key!("span_id"), e.span_id)
                    .plain(key!("type"), e.event_type.as_str())
                    .plain(key!("created_at"), &e.created_at)
                    .raw(key!("content"), e.content.as_deref().unwrap_or("null"))
                    .raw_opt(key!("attributes"), e.attributes.as_deref())
                    .end()
            }),
        ],
        Format::Rows => [
            rows(o, &batch.sessions, |out, s, first| {
                Row::begin(out, s.id, first)
                    .text(&s.created_at)
                    .text_opt(s.ended_at.as_deref())
                    .json_opt(s.metadata.as_deref());
            }),
            rows(o, &batch.runs, |out, r, first| {
                Row::begin(out, r.id, first)
                    .uuid(r.session_id)
                    .json_opt(Some(&r.name))
                    .text(&r.started_at)
                    .text_opt(r.ended_at.as_deref())
                    .text(r.status.as_str())
                    .json_opt(r.error.as_deref())
                    .json_opt(r.metadata.as_deref());
            }),
            rows(o, &batch.spans, |out, s, first| {
                let mut digits = itoa::Buffer::new();
                let iteration = s.iteration.map(|n| digits.format(n));
                Row::begin(out, s.id, first)
                    .uuid(s.run_id)
                    .uuid_opt(s.parent_span_id)
                    .text(s.kind.as_str())
                    .json_opt(Some(&s.name))
                    .text(&s.started_at)
                    .text_opt(s.ended_at.as_deref())
                    .text(s.status.as_str())
                    .json_opt(s.error.as_deref())
                    .text_opt(iteration)
                    .json_opt(s.attributes.as_deref());
            }),
            rows(o, &batch.events, |out, e, first| {
                Row::begin(out, e.id, first)
                    .uuid(e.run_id)
                    .uuid_opt(e.span_id)
                    .text(e.event_type.as_str())
                    .text(&e.created_at)
                    .json_opt(e.content.as_deref())
                    .json_opt(e.attributes.as_deref());
            }),
        ],
    };
    let ends = [
        records_end[0],
        records_end[1],
        records_end[2],
        records_end[3],
        list(o, &batch.prompt_links, |out, l| {
            Rec::begin(out)
                .bytes(key!("project_id"), pid)
                .uuid(key!("trace_id"), l.trace_id)
                .uuid(key!("span_id"), l.span_id)
                .uuid(key!("prompt_version_id"), l.prompt_version_id)
                .raw(key!("variable_values"), l.variable_values.as_deref().unwrap_or("{}"))
                .end()
        }),
        list(o, &batch.scores, |out, s| {
            Rec::begin(out)
                .uuid(key!("id"), s.id)
                .bytes(key!("project_id"), pid)
                .uuid(key!("trace_id"), s.trace_id)
                .uuid_opt(key!("span_id"), s.span_id)
                .raw(key!("name"), &s.name)
                .raw(key!("value"), ryu::Buffer::new().format_finite(s.value))
                .plain(key!("data_type"), s.data_type.as_str())
                .raw_opt(key!("string_value"), s.string_value.as_deref())
                .plain(key!("source"), "api")
                .raw_opt(key!("comment"), s.comment.as_deref())
                .plain(key!("created_at"), &s.created_at)
                .end()
        }),
    ];
    debug_assert!(std::str::from_utf8(&out).is_ok());
    // SAFETY: `out` holds only the bytes of `&str`s (raw values, decoded strings, the
    // formatted numbers) and ASCII written here (keys, punctuation, hex digits), each
    // whole, so it is valid UTF-8. The debug assertion checks this in tests.
    let text = unsafe { String::from_utf8_unchecked(out) };
    // Every value is raw text from the body (merged objects too), so ASCII in is ASCII out.
    let ascii = batch.ascii;
    debug_assert!(!ascii || text.is_ascii());
    let mut prepared = PreparedBatch::new(text, ends, ascii, batch.counts(), format);
    if let Some((bytes, ends)) = columns {
        prepared.set_columns(bytes, ends);
    }
    prepared
}
