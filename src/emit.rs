//! Writes a checked batch as one JSON array text per entity list, stamping the API
//! key's project on every record. Pass-through values are copied as the raw text that
//! was sent; ids are written in canonical lowercase form; absent optional fields are
//! left out, so the database can tell "not sent" (keep what is stored) from a value.

use uuid::Uuid;

use crate::batch::{CheckedBatch, PreparedBatch};

/// One record being written into a list.
struct Obj<'o> {
    out: &'o mut String,
    first: bool,
}

impl<'o> Obj<'o> {
    fn begin(out: &'o mut String) -> Self {
        if out.len() > 1 {
            out.push(',');
        }
        out.push('{');
        Obj { out, first: true }
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        self.out.push('"');
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    /// A value that is already JSON text.
    fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    fn raw_opt(&mut self, key: &str, json: Option<&str>) -> &mut Self {
        if let Some(json) = json {
            self.raw(key, json);
        }
        self
    }

    /// A string known to need no escaping (timestamps, enum words).
    fn plain(&mut self, key: &str, text: &str) -> &mut Self {
        self.key(key);
        self.out.push('"');
        self.out.push_str(text);
        self.out.push('"');
        self
    }

    fn plain_opt(&mut self, key: &str, text: Option<&str>) -> &mut Self {
        if let Some(text) = text {
            self.plain(key, text);
        }
        self
    }

    fn uuid(&mut self, key: &str, id: Uuid) -> &mut Self {
        self.key(key);
        self.out.push('"');
        crate::formats::push_uuid(self.out, id);
        self.out.push('"');
        self
    }

    /// The API key's project, formatted once per batch.
    fn project(&mut self, project: &str) -> &mut Self {
        self.plain("project_id", project)
    }

    fn uuid_opt(&mut self, key: &str, id: Option<Uuid>) -> &mut Self {
        if let Some(id) = id {
            self.uuid(key, id);
        }
        self
    }

    fn end(&mut self) {
        self.out.push('}');
    }
}

/// Writes one list; `sent_bytes` (the list's size in the body) sizes the buffer so it is
/// allocated once: each record grows by at most its project id and key overhead.
fn list<T>(records: &[(usize, T)], sent_bytes: usize, write: impl Fn(&mut String, &T)) -> String {
    let mut out = String::with_capacity(2 + sent_bytes + records.len() * 64);
    out.push('[');
    for (_, r) in records {
        write(&mut out, r);
    }
    out.push(']');
    out
}

/// Writes every list of a checked batch for `project_id`.
pub fn write(batch: &CheckedBatch, project_id: Uuid) -> PreparedBatch {
    let project = crate::formats::format_uuid(project_id);
    let pid: &str = &project;
    PreparedBatch {
        sessions: list(&batch.sessions, batch.sent_bytes[0], |out, s| {
            Obj::begin(out)
                .uuid("id", s.id)
                .project(pid)
                .plain("created_at", &s.created_at)
                .plain_opt("ended_at", s.ended_at.as_deref())
                .raw_opt("metadata", s.metadata.as_deref())
                .end()
        }),
        runs: list(&batch.runs, batch.sent_bytes[1], |out, r| {
            Obj::begin(out)
                .uuid("id", r.id)
                .project(pid)
                .uuid("session_id", r.session_id)
                .raw("name", &r.name)
                .plain("started_at", &r.started_at)
                .plain_opt("ended_at", r.ended_at.as_deref())
                .plain("status", r.status.as_str())
                .raw_opt("error", r.error.as_deref())
                .raw_opt("metadata", r.metadata.as_deref())
                .end()
        }),
        spans: list(&batch.spans, batch.sent_bytes[2], |out, s| {
            let mut o = Obj::begin(out);
            o.uuid("id", s.id)
                .project(pid)
                .uuid("run_id", s.run_id)
                .uuid_opt("parent_span_id", s.parent_span_id)
                .plain("kind", s.kind.as_str())
                .raw("name", &s.name)
                .plain("started_at", &s.started_at)
                .plain_opt("ended_at", s.ended_at.as_deref())
                .plain("status", s.status.as_str())
                .raw_opt("error", s.error.as_deref());
            if let Some(n) = s.iteration {
                o.raw("iteration", itoa::Buffer::new().format(n));
            }
            o.raw_opt("attributes", s.attributes.as_deref()).end()
        }),
        events: list(&batch.events, batch.sent_bytes[3], |out, e| {
            Obj::begin(out)
                .uuid("id", e.id)
                .project(pid)
                .uuid("run_id", e.run_id)
                .uuid_opt("span_id", e.span_id)
                .plain("type", e.event_type.as_str())
                .plain("created_at", &e.created_at)
                .raw("content", e.content.as_deref().unwrap_or("null"))
                .raw_opt("attributes", e.attributes.as_deref())
                .end()
        }),
        prompt_links: list(&batch.prompt_links, batch.sent_bytes[4], |out, l| {
            Obj::begin(out)
                .project(pid)
                .uuid("trace_id", l.trace_id)
                .uuid("span_id", l.span_id)
                .uuid("prompt_version_id", l.prompt_version_id)
                .raw("variable_values", l.variable_values.as_deref().unwrap_or("{}"))
                .end()
        }),
        scores: list(&batch.scores, batch.sent_bytes[5], |out, s| {
            Obj::begin(out)
                .uuid("id", s.id)
                .project(pid)
                .uuid("trace_id", s.trace_id)
                .uuid_opt("span_id", s.span_id)
                .raw("name", &s.name)
                .raw("value", ryu::Buffer::new().format_finite(s.value))
                .plain("data_type", s.data_type.as_str())
                .raw_opt("string_value", s.string_value.as_deref())
                .plain("source", "api")
                .raw_opt("comment", s.comment.as_deref())
                .plain("created_at", &s.created_at)
                .end()
        }),
        counts: batch.counts(),
    }
}
