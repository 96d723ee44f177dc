//! The OTLP trace messages, declared by hand for prost (no `protoc` at build time), and
//! their OTLP/JSON reading (serde) onto the very same structs, so the mapping sees one
//! shape whatever the encoding.
//!
//! Field numbers follow `opentelemetry/proto/trace/v1/trace.proto`,
//! `common/v1/common.proto`, `resource/v1/resource.proto` and
//! `collector/trace/v1/trace_service.proto`. Fields the mapping never reads (dropped
//! counts, links' own attributes, schema URLs) are still declared where cheap, so the
//! decoder validates their wire types like any other field.
//!
//! OTLP/JSON, as the OTLP specification defines it on top of proto3's JSON mapping:
//! lowerCamelCase field names (the proto names in snake_case are accepted too), trace
//! and span ids as hex strings (not base64), enums as integers, 64-bit integers as
//! numbers or decimal strings, `bytesValue` as base64, `null` as the field's default,
//! unknown fields ignored.

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

/// `ExportTraceServiceRequest`: the body of `POST /v1/traces`.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportTraceServiceRequest {
    #[prost(message, repeated, tag = "1")]
    #[serde(default, alias = "resource_spans", deserialize_with = "nullable")]
    pub resource_spans: Vec<ResourceSpans>,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceSpans {
    #[prost(message, optional, tag = "1")]
    #[serde(default)]
    pub resource: Option<Resource>,
    #[prost(message, repeated, tag = "2")]
    #[serde(default, alias = "scope_spans", deserialize_with = "nullable")]
    pub scope_spans: Vec<ScopeSpans>,
    #[prost(string, tag = "3")]
    #[serde(default, alias = "schema_url", deserialize_with = "nullable")]
    pub schema_url: String,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    #[prost(message, repeated, tag = "1")]
    #[serde(default, deserialize_with = "nullable")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "2")]
    #[serde(default, alias = "dropped_attributes_count", deserialize_with = "nullable")]
    pub dropped_attributes_count: u32,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopeSpans {
    #[prost(message, optional, tag = "1")]
    #[serde(default)]
    pub scope: Option<InstrumentationScope>,
    #[prost(message, repeated, tag = "2")]
    #[serde(default, deserialize_with = "nullable")]
    pub spans: Vec<Span>,
    #[prost(string, tag = "3")]
    #[serde(default, alias = "schema_url", deserialize_with = "nullable")]
    pub schema_url: String,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstrumentationScope {
    #[prost(string, tag = "1")]
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[prost(string, tag = "2")]
    #[serde(default, deserialize_with = "nullable")]
    pub version: String,
    #[prost(message, repeated, tag = "3")]
    #[serde(default, deserialize_with = "nullable")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "4")]
    #[serde(default, alias = "dropped_attributes_count", deserialize_with = "nullable")]
    pub dropped_attributes_count: u32,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Span {
    #[prost(bytes = "vec", tag = "1")]
    #[serde(default, alias = "trace_id", deserialize_with = "hex_id")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    #[serde(default, alias = "span_id", deserialize_with = "hex_id")]
    pub span_id: Vec<u8>,
    #[prost(string, tag = "3")]
    #[serde(default, alias = "trace_state", deserialize_with = "nullable")]
    pub trace_state: String,
    #[prost(bytes = "vec", tag = "4")]
    #[serde(default, alias = "parent_span_id", deserialize_with = "hex_id")]
    pub parent_span_id: Vec<u8>,
    #[prost(fixed32, tag = "16")]
    #[serde(default, deserialize_with = "nullable")]
    pub flags: u32,
    #[prost(string, tag = "5")]
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// `SpanKind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
    #[prost(int32, tag = "6")]
    #[serde(default, deserialize_with = "enum_number")]
    pub kind: i32,
    #[prost(fixed64, tag = "7")]
    #[serde(default, alias = "start_time_unix_nano", deserialize_with = "uint64")]
    pub start_time_unix_nano: u64,
    #[prost(fixed64, tag = "8")]
    #[serde(default, alias = "end_time_unix_nano", deserialize_with = "uint64")]
    pub end_time_unix_nano: u64,
    #[prost(message, repeated, tag = "9")]
    #[serde(default, deserialize_with = "nullable")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "10")]
    #[serde(default, alias = "dropped_attributes_count", deserialize_with = "nullable")]
    pub dropped_attributes_count: u32,
    #[prost(message, repeated, tag = "11")]
    #[serde(default, deserialize_with = "nullable")]
    pub events: Vec<SpanEvent>,
    #[prost(uint32, tag = "12")]
    #[serde(default, alias = "dropped_events_count", deserialize_with = "nullable")]
    pub dropped_events_count: u32,
    #[prost(message, repeated, tag = "13")]
    #[serde(default, deserialize_with = "nullable")]
    pub links: Vec<SpanLink>,
    #[prost(uint32, tag = "14")]
    #[serde(default, alias = "dropped_links_count", deserialize_with = "nullable")]
    pub dropped_links_count: u32,
    #[prost(message, optional, tag = "15")]
    #[serde(default)]
    pub status: Option<Status>,
}

/// `Span.Event`.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanEvent {
    #[prost(fixed64, tag = "1")]
    #[serde(default, alias = "time_unix_nano", deserialize_with = "uint64")]
    pub time_unix_nano: u64,
    #[prost(string, tag = "2")]
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[prost(message, repeated, tag = "3")]
    #[serde(default, deserialize_with = "nullable")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "4")]
    #[serde(default, alias = "dropped_attributes_count", deserialize_with = "nullable")]
    pub dropped_attributes_count: u32,
}

/// `Span.Link`.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanLink {
    #[prost(bytes = "vec", tag = "1")]
    #[serde(default, alias = "trace_id", deserialize_with = "hex_id")]
    pub trace_id: Vec<u8>,
    #[prost(bytes = "vec", tag = "2")]
    #[serde(default, alias = "span_id", deserialize_with = "hex_id")]
    pub span_id: Vec<u8>,
    #[prost(string, tag = "3")]
    #[serde(default, alias = "trace_state", deserialize_with = "nullable")]
    pub trace_state: String,
    #[prost(message, repeated, tag = "4")]
    #[serde(default, deserialize_with = "nullable")]
    pub attributes: Vec<KeyValue>,
    #[prost(uint32, tag = "5")]
    #[serde(default, alias = "dropped_attributes_count", deserialize_with = "nullable")]
    pub dropped_attributes_count: u32,
    #[prost(fixed32, tag = "6")]
    #[serde(default, deserialize_with = "nullable")]
    pub flags: u32,
}

/// `Status`: code 0 unset, 1 ok, 2 error.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    #[prost(string, tag = "2")]
    #[serde(default, deserialize_with = "nullable")]
    pub message: String,
    #[prost(int32, tag = "3")]
    #[serde(default, deserialize_with = "enum_number")]
    pub code: i32,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
pub struct KeyValue {
    #[prost(string, tag = "1")]
    #[serde(default, deserialize_with = "nullable")]
    pub key: String,
    #[prost(message, optional, tag = "2")]
    #[serde(default)]
    pub value: Option<AnyValue>,
}

/// `AnyValue`: at most one of its cases is set; none set is an empty value.
#[derive(Clone, PartialEq, prost::Message, Deserialize)]
#[serde(from = "AnyValueJson")]
pub struct AnyValue {
    #[prost(oneof = "Value", tags = "1, 2, 3, 4, 5, 6, 7")]
    pub value: Option<Value>,
}

/// The cases of `AnyValue`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Value {
    #[prost(string, tag = "1")]
    String(String),
    #[prost(bool, tag = "2")]
    Bool(bool),
    #[prost(int64, tag = "3")]
    Int(i64),
    #[prost(double, tag = "4")]
    Double(f64),
    #[prost(message, tag = "5")]
    Array(ArrayValue),
    #[prost(message, tag = "6")]
    Kvlist(KeyValueList),
    #[prost(bytes = "vec", tag = "7")]
    Bytes(Vec<u8>),
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
pub struct ArrayValue {
    #[prost(message, repeated, tag = "1")]
    #[serde(default, deserialize_with = "nullable")]
    pub values: Vec<AnyValue>,
}

#[derive(Clone, PartialEq, prost::Message, Deserialize)]
pub struct KeyValueList {
    #[prost(message, repeated, tag = "1")]
    #[serde(default, deserialize_with = "nullable")]
    pub values: Vec<KeyValue>,
}

/// `AnyValue` as OTLP/JSON writes it: an object with one of these keys.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyValueJson {
    #[serde(default, alias = "string_value")]
    string_value: Option<String>,
    #[serde(default, alias = "bool_value")]
    bool_value: Option<bool>,
    #[serde(default, alias = "int_value", deserialize_with = "opt_int64")]
    int_value: Option<i64>,
    #[serde(default, alias = "double_value", deserialize_with = "opt_double")]
    double_value: Option<f64>,
    #[serde(default, alias = "array_value")]
    array_value: Option<ArrayValue>,
    #[serde(default, alias = "kvlist_value")]
    kvlist_value: Option<KeyValueList>,
    #[serde(default, alias = "bytes_value", deserialize_with = "opt_base64")]
    bytes_value: Option<Vec<u8>>,
}

impl From<AnyValueJson> for AnyValue {
    fn from(j: AnyValueJson) -> Self {
        // proto3 JSON allows one case; should a sender set several, the first in field
        // order wins, as the last-set case would in a protobuf message.
        let value = j
            .string_value
            .map(Value::String)
            .or(j.bool_value.map(Value::Bool))
            .or(j.int_value.map(Value::Int))
            .or(j.double_value.map(Value::Double))
            .or(j.array_value.map(Value::Array))
            .or(j.kvlist_value.map(Value::Kvlist))
            .or(j.bytes_value.map(Value::Bytes));
        AnyValue { value }
    }
}

/// `null` reads as the field's default (proto3 JSON).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A JSON number or a decimal string (proto3 JSON writes 64-bit integers as strings).
enum NumberOrText {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
}

// Read with a hand-written visitor: `#[serde(untagged)]` would buffer every value and
// costs far more code in the wasm module.
impl<'de> Deserialize<'de> for NumberOrText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = NumberOrText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number or a decimal string")
            }
            fn visit_u64<E>(self, v: u64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Unsigned(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Signed(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<NumberOrText, E> {
                Ok(NumberOrText::Text(v.to_owned()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

fn uint64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    use serde::de::Error;
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(0),
        Some(NumberOrText::Unsigned(n)) => Ok(n),
        Some(NumberOrText::Text(t)) => t.trim().parse().map_err(|_| D::Error::custom(format!("not a uint64: {t:?}"))),
        Some(NumberOrText::Signed(n)) => Err(D::Error::custom(format!("not a uint64: {n}"))),
        Some(NumberOrText::Float(f)) => Err(D::Error::custom(format!("not a uint64: {f}"))),
    }
}

fn opt_int64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Signed(n)) => Ok(Some(n)),
        Some(NumberOrText::Unsigned(n)) => {
            i64::try_from(n).map(Some).map_err(|_| D::Error::custom(format!("int64 out of range: {n}")))
        }
        Some(NumberOrText::Text(t)) => {
            t.trim().parse().map(Some).map_err(|_| D::Error::custom(format!("not an int64: {t:?}")))
        }
        // proto3 JSON accepts an exponent form of a whole number (1e3).
        Some(NumberOrText::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Some(f as i64)),
        Some(NumberOrText::Float(f)) => Err(D::Error::custom(format!("not an int64: {f}"))),
    }
}

fn opt_double<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    use serde::de::Error;
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Unsigned(n)) => Ok(Some(n as f64)),
        Some(NumberOrText::Signed(n)) => Ok(Some(n as f64)),
        Some(NumberOrText::Float(f)) => Ok(Some(f)),
        Some(NumberOrText::Text(t)) => match t.as_str() {
            "NaN" => Ok(Some(f64::NAN)),
            "Infinity" => Ok(Some(f64::INFINITY)),
            "-Infinity" => Ok(Some(f64::NEG_INFINITY)),
            _ => t.trim().parse().map(Some).map_err(|_| D::Error::custom(format!("not a double: {t:?}"))),
        },
    }
}

/// Enums are integers in OTLP/JSON; the enum value names proto3 JSON also allows are read
/// too, as are integers written as strings.
fn enum_number<'de, D: Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    use serde::de::Error;
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(0),
        Some(NumberOrText::Unsigned(n)) => i32::try_from(n).map_err(|_| D::Error::custom("enum out of range")),
        Some(NumberOrText::Signed(n)) => i32::try_from(n).map_err(|_| D::Error::custom("enum out of range")),
        Some(NumberOrText::Float(_)) => Err(D::Error::custom("enum must be an integer")),
        Some(NumberOrText::Text(t)) => enum_name(&t)
            .or_else(|| t.parse().ok())
            .ok_or_else(|| D::Error::custom(format!("unknown enum value {t:?}"))),
    }
}

fn enum_name(name: &str) -> Option<i32> {
    Some(match name {
        "SPAN_KIND_UNSPECIFIED" | "STATUS_CODE_UNSET" => 0,
        "SPAN_KIND_INTERNAL" | "STATUS_CODE_OK" => 1,
        "SPAN_KIND_SERVER" | "STATUS_CODE_ERROR" => 2,
        "SPAN_KIND_CLIENT" => 3,
        "SPAN_KIND_PRODUCER" => 4,
        "SPAN_KIND_CONSUMER" => 5,
        _ => return None,
    })
}

/// Trace and span ids: hex in OTLP/JSON (either case); empty or `null` is "no id".
fn hex_id<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    use serde::de::Error;
    let text: Option<String> = Option::deserialize(d)?;
    let text = text.unwrap_or_default();
    decode_hex(&text).ok_or_else(|| D::Error::custom(format!("id is not hex: {text:?}")))
}

/// Lowercase or uppercase hex digits, an even count, to bytes.
pub fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    digits.chunks_exact(2).map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?)).collect()
}

fn opt_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
    use serde::de::Error;
    let text: Option<String> = Option::deserialize(d)?;
    match text {
        None => Ok(None),
        Some(t) => {
            // proto3 JSON writers use standard base64 with padding; URL-safe is accepted too.
            let standard = base64::engine::general_purpose::STANDARD.decode(&t);
            standard
                .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&t))
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(t.trim_end_matches('=')))
                .map(Some)
                .map_err(|_| D::Error::custom("bytesValue is not base64"))
        }
    }
}
