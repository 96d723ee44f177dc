//! A borrowing (zero-copy) reader of the OTLP trace messages in protobuf: the same
//! messages as `wire`, with every string and byte field a slice of the request body
//! instead of an owned copy.
//!
//! prost (`wire`) stays the schema and the reference: this reader accepts only what it
//! can read exactly as prost would, and declines (`None`) everything else — a field
//! prost would merge or overwrite (a singular field sent twice), groups, wrong wire
//! types, truncated or malformed input, invalid UTF-8, deep nesting. The caller then
//! takes the prost path, which gives the exact result or error. `tests/otlp_fast.rs`
//! checks that whatever this reader accepts, prost decodes to the same request.

use super::wire;

/// `ExportTraceServiceRequest`.
#[derive(Debug, Default)]
pub struct Request<'a> {
    pub resource_spans: Vec<ResourceSpans<'a>>,
}

#[derive(Debug, Default)]
pub struct ResourceSpans<'a> {
    pub resource: Option<Resource<'a>>,
    pub scope_spans: Vec<ScopeSpans<'a>>,
    pub schema_url: &'a str,
}

#[derive(Debug, Default)]
pub struct Resource<'a> {
    pub attributes: Vec<KeyValue<'a>>,
    pub dropped_attributes_count: u32,
}

#[derive(Debug, Default)]
pub struct ScopeSpans<'a> {
    pub scope: Option<Scope<'a>>,
    pub spans: Vec<Span<'a>>,
    pub schema_url: &'a str,
}

#[derive(Debug, Default)]
pub struct Scope<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub attributes: Vec<KeyValue<'a>>,
    pub dropped_attributes_count: u32,
}

#[derive(Debug, Default)]
pub struct Span<'a> {
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub trace_state: &'a str,
    pub parent_span_id: &'a [u8],
    pub flags: u32,
    pub name: &'a str,
    pub kind: i32,
    pub start_time_unix_nano: u64,
    pub end_time_unix_nano: u64,
    pub attributes: Vec<KeyValue<'a>>,
    pub dropped_attributes_count: u32,
    pub events: Vec<SpanEvent<'a>>,
    pub dropped_events_count: u32,
    pub links: Vec<SpanLink<'a>>,
    pub dropped_links_count: u32,
    pub status: Option<Status<'a>>,
}

#[derive(Debug, Default)]
pub struct SpanEvent<'a> {
    pub time_unix_nano: u64,
    pub name: &'a str,
    pub attributes: Vec<KeyValue<'a>>,
    pub dropped_attributes_count: u32,
}

#[derive(Debug, Default)]
pub struct SpanLink<'a> {
    pub trace_id: &'a [u8],
    pub span_id: &'a [u8],
    pub trace_state: &'a str,
    pub attributes: Vec<KeyValue<'a>>,
    pub dropped_attributes_count: u32,
    pub flags: u32,
}

#[derive(Debug, Default)]
pub struct Status<'a> {
    pub message: &'a str,
    pub code: i32,
}

#[derive(Debug, Default)]
pub struct KeyValue<'a> {
    pub key: &'a str,
    /// `None`: the pair carries no `AnyValue` message at all.
    pub value: Option<AnyValue<'a>>,
}

/// `AnyValue`: `None` when no case is set.
#[derive(Debug, Default)]
pub struct AnyValue<'a> {
    pub value: Option<Value<'a>>,
}

#[derive(Debug)]
pub enum Value<'a> {
    String(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Array(Vec<AnyValue<'a>>),
    Kvlist(Vec<KeyValue<'a>>),
    Bytes(&'a [u8]),
}

/// Nested `AnyValue`s (arrays and kvlists) accepted; deeper requests go to prost (whose
/// own limit is 100 nested messages in all).
const MAX_VALUE_DEPTH: usize = 32;

/// Reads the request, or declines (`None`): see the module comment.
pub fn decode(body: &[u8]) -> Option<Request<'_>> {
    let mut r = Reader { b: body, i: 0 };
    let mut out = Request::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 => {
                known(wt, LEN)?;
                out.resource_spans.push(resource_spans(r.bytes()?)?);
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

const VARINT: u8 = 0;
const I64: u8 = 1;
const LEN: u8 = 2;
const I32: u8 = 5;

/// Field numbers 1–31 already seen in a message, to decline a singular field sent twice.
#[derive(Default)]
struct Seen(u32);

impl Seen {
    /// `None` when `field` was seen before.
    fn first(&mut self, field: u32) -> Option<()> {
        let bit = 1u32 << (field & 31);
        if self.0 & bit != 0 {
            return None;
        }
        self.0 |= bit;
        Some(())
    }
}

struct Reader<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for k in 0..10 {
            let byte = *self.b.get(self.i)?;
            self.i += 1;
            // The tenth byte may only hold the 64th bit (prost refuses more).
            if k == 9 && byte > 1 {
                return None;
            }
            n |= u64::from(byte & 0x7f) << (7 * k);
            if byte < 0x80 {
                return Some(n);
            }
        }
        None
    }

    /// The next field's number and wire type; `Some(None)` at the end of the message.
    fn next_key(&mut self) -> Option<Option<(u32, u8)>> {
        if self.i >= self.b.len() {
            return Some(None);
        }
        let key = self.varint()?;
        let key = u32::try_from(key).ok()?;
        let (field, wt) = (key >> 3, (key & 7) as u8);
        if field == 0 || !matches!(wt, VARINT | I64 | LEN | I32) {
            return None;
        }
        Some(Some((field, wt)))
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = usize::try_from(self.varint()?).ok()?;
        let end = self.i.checked_add(len)?;
        let out = self.b.get(self.i..end)?;
        self.i = end;
        Some(out)
    }

    fn string(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn fixed64(&mut self) -> Option<u64> {
        let raw = self.b.get(self.i..self.i + 8)?;
        self.i += 8;
        Some(u64::from_le_bytes(raw.try_into().ok()?))
    }

    fn fixed32(&mut self) -> Option<u32> {
        let raw = self.b.get(self.i..self.i + 4)?;
        self.i += 4;
        Some(u32::from_le_bytes(raw.try_into().ok()?))
    }

    /// Skips a field this reader does not keep. A field number the schema declares with
    /// another wire type is declined (prost refuses it).
    fn skip(&mut self, _field: u32, wt: u8) -> Option<()> {
        match wt {
            VARINT => self.varint().map(|_| ()),
            I64 => self.fixed64().map(|_| ()),
            LEN => self.bytes().map(|_| ()),
            I32 => self.fixed32().map(|_| ()),
            _ => None,
        }
    }
}

/// Declines a known field sent with another wire type than the schema's.
fn known(wt: u8, expected: u8) -> Option<()> {
    (wt == expected).then_some(())
}

fn resource_spans(b: &[u8]) -> Option<ResourceSpans<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = ResourceSpans::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 => {
                known(wt, LEN)?;
                seen.first(1)?;
                out.resource = Some(resource(r.bytes()?)?);
            }
            2 => {
                known(wt, LEN)?;
                out.scope_spans.push(scope_spans(r.bytes()?)?);
            }
            3 => {
                known(wt, LEN)?;
                seen.first(3)?;
                out.schema_url = r.string()?;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn resource(b: &[u8]) -> Option<Resource<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = Resource::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 => {
                known(wt, LEN)?;
                out.attributes.push(key_value(r.bytes()?, 0)?);
            }
            2 => {
                known(wt, VARINT)?;
                seen.first(2)?;
                out.dropped_attributes_count = r.varint()? as u32;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn scope_spans(b: &[u8]) -> Option<ScopeSpans<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = ScopeSpans::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 => {
                known(wt, LEN)?;
                seen.first(1)?;
                out.scope = Some(scope(r.bytes()?)?);
            }
            2 => {
                known(wt, LEN)?;
                out.spans.push(span(r.bytes()?)?);
            }
            3 => {
                known(wt, LEN)?;
                seen.first(3)?;
                out.schema_url = r.string()?;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn scope(b: &[u8]) -> Option<Scope<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = Scope::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 | 2 => {
                known(wt, LEN)?;
                seen.first(field)?;
                let s = r.string()?;
                if field == 1 {
                    out.name = s;
                } else {
                    out.version = s;
                }
            }
            3 => {
                known(wt, LEN)?;
                out.attributes.push(key_value(r.bytes()?, 0)?);
            }
            4 => {
                known(wt, VARINT)?;
                seen.first(4)?;
                out.dropped_attributes_count = r.varint()? as u32;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn span(b: &[u8]) -> Option<Span<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = Span::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            9 => {
                known(wt, LEN)?;
                out.attributes.push(key_value(r.bytes()?, 0)?);
                continue;
            }
            11 => {
                known(wt, LEN)?;
                out.events.push(event(r.bytes()?)?);
                continue;
            }
            13 => {
                known(wt, LEN)?;
                out.links.push(link(r.bytes()?)?);
                continue;
            }
            1..=8 | 10 | 12 | 14..=16 => seen.first(field)?,
            _ => {
                r.skip(field, wt)?;
                continue;
            }
        }
        match field {
            1 | 2 | 4 => {
                known(wt, LEN)?;
                let id = r.bytes()?;
                match field {
                    1 => out.trace_id = id,
                    2 => out.span_id = id,
                    _ => out.parent_span_id = id,
                }
            }
            3 | 5 => {
                known(wt, LEN)?;
                let s = r.string()?;
                if field == 3 {
                    out.trace_state = s;
                } else {
                    out.name = s;
                }
            }
            6 => {
                known(wt, VARINT)?;
                out.kind = r.varint()? as i32;
            }
            7 | 8 => {
                known(wt, I64)?;
                let t = r.fixed64()?;
                if field == 7 {
                    out.start_time_unix_nano = t;
                } else {
                    out.end_time_unix_nano = t;
                }
            }
            10 | 12 | 14 => {
                known(wt, VARINT)?;
                let n = r.varint()? as u32;
                match field {
                    10 => out.dropped_attributes_count = n,
                    12 => out.dropped_events_count = n,
                    _ => out.dropped_links_count = n,
                }
            }
            15 => {
                known(wt, LEN)?;
                out.status = Some(status(r.bytes()?)?);
            }
            _ => {
                // 16: flags
                known(wt, I32)?;
                out.flags = r.fixed32()?;
            }
        }
    }
    Some(out)
}

fn event(b: &[u8]) -> Option<SpanEvent<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = SpanEvent::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 => {
                known(wt, I64)?;
                seen.first(1)?;
                out.time_unix_nano = r.fixed64()?;
            }
            2 => {
                known(wt, LEN)?;
                seen.first(2)?;
                out.name = r.string()?;
            }
            3 => {
                known(wt, LEN)?;
                out.attributes.push(key_value(r.bytes()?, 0)?);
            }
            4 => {
                known(wt, VARINT)?;
                seen.first(4)?;
                out.dropped_attributes_count = r.varint()? as u32;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn link(b: &[u8]) -> Option<SpanLink<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = SpanLink::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 | 2 => {
                known(wt, LEN)?;
                seen.first(field)?;
                let id = r.bytes()?;
                if field == 1 {
                    out.trace_id = id;
                } else {
                    out.span_id = id;
                }
            }
            3 => {
                known(wt, LEN)?;
                seen.first(3)?;
                out.trace_state = r.string()?;
            }
            4 => {
                known(wt, LEN)?;
                out.attributes.push(key_value(r.bytes()?, 0)?);
            }
            5 => {
                known(wt, VARINT)?;
                seen.first(5)?;
                out.dropped_attributes_count = r.varint()? as u32;
            }
            6 => {
                known(wt, I32)?;
                seen.first(6)?;
                out.flags = r.fixed32()?;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn status(b: &[u8]) -> Option<Status<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = Status::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            2 => {
                known(wt, LEN)?;
                seen.first(2)?;
                out.message = r.string()?;
            }
            3 => {
                known(wt, VARINT)?;
                seen.first(3)?;
                out.code = r.varint()? as i32;
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn key_value(b: &[u8], depth: usize) -> Option<KeyValue<'_>> {
    let mut r = Reader { b, i: 0 };
    let mut out = KeyValue::default();
    let mut seen = Seen::default();
    while let Some((field, wt)) = r.next_key()? {
        match field {
            1 => {
                known(wt, LEN)?;
                seen.first(1)?;
                out.key = r.string()?;
            }
            2 => {
                known(wt, LEN)?;
                seen.first(2)?;
                out.value = Some(any_value(r.bytes()?, depth)?);
            }
            _ => r.skip(field, wt)?,
        }
    }
    Some(out)
}

fn any_value(b: &[u8], depth: usize) -> Option<AnyValue<'_>> {
    if depth > MAX_VALUE_DEPTH {
        return None;
    }
    let mut r = Reader { b, i: 0 };
    let mut out = AnyValue::default();
    while let Some((field, wt)) = r.next_key()? {
        if !(1..=7).contains(&field) {
            r.skip(field, wt)?;
            continue;
        }
        // A second case (or the same one again) would be merged or replaced by prost.
        if out.value.is_some() {
            return None;
        }
        out.value = Some(match field {
            1 => {
                known(wt, LEN)?;
                Value::String(r.string()?)
            }
            2 => {
                known(wt, VARINT)?;
                Value::Bool(r.varint()? != 0)
            }
            3 => {
                known(wt, VARINT)?;
                Value::Int(r.varint()? as i64)
            }
            4 => {
                known(wt, I64)?;
                Value::Double(f64::from_bits(r.fixed64()?))
            }
            5 => {
                known(wt, LEN)?;
                let mut inner = Reader { b: r.bytes()?, i: 0 };
                let mut values = Vec::new();
                while let Some((f, w)) = inner.next_key()? {
                    if f == 1 {
                        known(w, LEN)?;
                        values.push(any_value(inner.bytes()?, depth + 1)?);
                    } else {
                        inner.skip(f, w)?;
                    }
                }
                Value::Array(values)
            }
            6 => {
                known(wt, LEN)?;
                let mut inner = Reader { b: r.bytes()?, i: 0 };
                let mut values = Vec::new();
                while let Some((f, w)) = inner.next_key()? {
                    if f == 1 {
                        known(w, LEN)?;
                        values.push(key_value(inner.bytes()?, depth + 1)?);
                    } else {
                        inner.skip(f, w)?;
                    }
                }
                Value::Kvlist(values)
            }
            _ => {
                known(wt, LEN)?;
                Value::Bytes(r.bytes()?)
            }
        });
    }
    Some(out)
}

// ---- owned copies (the prost structs), for the reference path and the tests ----

impl Request<'_> {
    /// The same request as prost's structs.
    pub fn to_owned_request(&self) -> wire::ExportTraceServiceRequest {
        wire::ExportTraceServiceRequest {
            resource_spans: self
                .resource_spans
                .iter()
                .map(|rs| wire::ResourceSpans {
                    resource: rs.resource.as_ref().map(|r| wire::Resource {
                        attributes: pairs(&r.attributes),
                        dropped_attributes_count: r.dropped_attributes_count,
                    }),
                    scope_spans: rs
                        .scope_spans
                        .iter()
                        .map(|ss| wire::ScopeSpans {
                            scope: ss.scope.as_ref().map(|s| wire::InstrumentationScope {
                                name: s.name.into(),
                                version: s.version.into(),
                                attributes: pairs(&s.attributes),
                                dropped_attributes_count: s.dropped_attributes_count,
                            }),
                            spans: ss.spans.iter().map(Span::to_owned_span).collect(),
                            schema_url: ss.schema_url.into(),
                        })
                        .collect(),
                    schema_url: rs.schema_url.into(),
                })
                .collect(),
        }
    }
}

impl Span<'_> {
    pub fn to_owned_span(&self) -> wire::Span {
        wire::Span {
            trace_id: self.trace_id.to_vec(),
            span_id: self.span_id.to_vec(),
            trace_state: self.trace_state.into(),
            parent_span_id: self.parent_span_id.to_vec(),
            flags: self.flags,
            name: self.name.into(),
            kind: self.kind,
            start_time_unix_nano: self.start_time_unix_nano,
            end_time_unix_nano: self.end_time_unix_nano,
            attributes: pairs(&self.attributes),
            dropped_attributes_count: self.dropped_attributes_count,
            events: self
                .events
                .iter()
                .map(|e| wire::SpanEvent {
                    time_unix_nano: e.time_unix_nano,
                    name: e.name.into(),
                    attributes: pairs(&e.attributes),
                    dropped_attributes_count: e.dropped_attributes_count,
                })
                .collect(),
            dropped_events_count: self.dropped_events_count,
            links: self
                .links
                .iter()
                .map(|l| wire::SpanLink {
                    trace_id: l.trace_id.to_vec(),
                    span_id: l.span_id.to_vec(),
                    trace_state: l.trace_state.into(),
                    attributes: pairs(&l.attributes),
                    dropped_attributes_count: l.dropped_attributes_count,
                    flags: l.flags,
                })
                .collect(),
            dropped_links_count: self.dropped_links_count,
            status: self.status.as_ref().map(|s| wire::Status { message: s.message.into(), code: s.code }),
        }
    }
}

fn pairs(kvs: &[KeyValue]) -> Vec<wire::KeyValue> {
    kvs.iter().map(KeyValue::to_owned_pair).collect()
}

impl KeyValue<'_> {
    pub fn to_owned_pair(&self) -> wire::KeyValue {
        wire::KeyValue { key: self.key.into(), value: self.value.as_ref().map(AnyValue::to_owned_value) }
    }
}

impl AnyValue<'_> {
    pub fn to_owned_value(&self) -> wire::AnyValue {
        wire::AnyValue {
            value: self.value.as_ref().map(|v| match v {
                Value::String(s) => wire::Value::String((*s).into()),
                Value::Bool(b) => wire::Value::Bool(*b),
                Value::Int(n) => wire::Value::Int(*n),
                Value::Double(f) => wire::Value::Double(*f),
                Value::Array(a) => {
                    wire::Value::Array(wire::ArrayValue { values: a.iter().map(AnyValue::to_owned_value).collect() })
                }
                Value::Kvlist(kv) => wire::Value::Kvlist(wire::KeyValueList { values: pairs(kv) }),
                Value::Bytes(b) => wire::Value::Bytes(b.to_vec()),
            }),
        }
    }
}
