//! OpenInference (Arize Phoenix): `openinference.span.kind`, the flattened message lists
//! `llm.input_messages.N.message.*` / `llm.output_messages.N.message.*`, and the raw
//! `input.value` / `output.value` payloads (with `input.mime_type` / `output.mime_type`).

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::attrs::{Attrs, Direction, Message};
use super::value::{as_str, to_json, to_json_declared, to_json_parsed};
use super::wire::AnyValue;
use super::Kind;

/// The span kind `openinference.span.kind` gives (its values are upper case; any case is
/// read).
pub fn kind(attrs: &Attrs) -> Option<Kind> {
    Some(match attrs.str("openinference.span.kind")?.to_ascii_uppercase().as_str() {
        "LLM" | "EMBEDDING" => Kind::Model,
        "TOOL" | "RETRIEVER" | "RERANKER" => Kind::Tool,
        "AGENT" => Kind::Agent,
        "CHAIN" => Kind::Workflow,
        // GUARDRAIL, EVALUATOR, PROMPT, DECISION, UNKNOWN: no NorthStar counterpart.
        _ => Kind::Custom,
    })
}

/// The flattened input and output message lists.
pub fn attribute_messages(attrs: &mut Attrs, out: &mut Vec<Message>) {
    for (prefix, direction) in [("llm.input_messages.", Direction::Input), ("llm.output_messages.", Direction::Output)]
    {
        for (n, fields) in attrs.take_indexed(prefix) {
            out.push(flattened_message(format!("{prefix}{n}"), direction, &fields, "message."));
        }
    }
}

/// `input.value` / `output.value`, read as JSON when their mime type says so (or when
/// the text is a JSON object or array); only called when no structured messages were
/// found for that direction, since LLM spans repeat the messages there.
pub fn payload(attrs: &mut Attrs, direction: Direction) -> Option<Message> {
    let (key, mime_key) = match direction {
        Direction::Input => ("input.value", "input.mime_type"),
        Direction::Output => ("output.value", "output.mime_type"),
    };
    let value = attrs.take(key)?;
    let content = match attrs.str(mime_key) {
        Some("text/plain") => to_json(value),
        Some("application/json") => to_json_declared(value),
        _ => to_json_parsed(value),
    };
    Some(Message::new(key, direction, content))
}

/// One message of a flattened list (`<field path> → value` pairs of one index, field
/// paths under `strip`): `role`, `content` (or the text of `contents.*`), the rest kept
/// as attributes under their field paths.
pub fn flattened_message(source: String, direction: Direction, fields: &[(&str, &AnyValue)], strip: &str) -> Message {
    let mut role = None;
    let mut content = None;
    let mut parts: BTreeMap<usize, Map<String, Json>> = BTreeMap::new();
    let mut extra = Map::new();
    for &(field, value) in fields {
        let field = field.strip_prefix(strip).unwrap_or(field);
        match field {
            "role" => role = as_str(value).map(str::to_owned),
            "content" => content = Some(to_json_parsed(value)),
            _ => {
                // `contents.N.message_content.{type,text,image…}`: multimodal parts.
                if let Some((n, rest)) = field.strip_prefix("contents.").and_then(|r| r.split_once('.')) {
                    if let Ok(n) = n.parse::<usize>() {
                        let rest = rest.strip_prefix("message_content.").unwrap_or(rest);
                        parts.entry(n).or_default().insert(rest.to_owned(), to_json(value));
                        continue;
                    }
                }
                extra.insert(field.to_owned(), to_json(value));
            }
        }
    }
    let content = content.unwrap_or_else(|| {
        let parts: Vec<Json> = parts.into_values().map(Json::Object).collect();
        match super::attrs::text_of_parts(&parts) {
            Some(text) if !parts.is_empty() => Json::String(text),
            _ if parts.is_empty() => Json::Null,
            _ => Json::Array(parts),
        }
    });
    let mut m = Message::new(source, direction, content);
    m.role = role;
    m.extra = extra;
    m
}
