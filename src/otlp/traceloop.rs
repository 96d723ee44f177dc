//! OpenLLMetry (Traceloop): `traceloop.span.kind`, `llm.request.type` on LLM spans, the
//! flattened `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` messages, and the
//! `traceloop.entity.input` / `traceloop.entity.output` payloads of workflows, tasks,
//! agents and tools.

use super::attrs::{Attrs, Direction, Message};
use super::openinference::flattened_message;
use super::value::to_json_declared;
use super::Kind;

/// The span kind `traceloop.span.kind` gives, or for LLM spans (which carry no
/// `traceloop.span.kind`) `llm.request.type`.
pub fn kind(attrs: &Attrs) -> Option<Kind> {
    if let Some(kind) = attrs.str("traceloop.span.kind") {
        return Some(match kind {
            "workflow" => Kind::Workflow,
            "agent" => Kind::Agent,
            "tool" => Kind::Tool,
            // task, unknown
            _ => Kind::Custom,
        });
    }
    match attrs.str("llm.request.type")? {
        "chat" | "completion" | "embedding" | "rerank" => Some(Kind::Model),
        _ => None,
    }
}

/// The flattened prompt and completion lists.
pub fn attribute_messages(attrs: &mut Attrs, out: &mut Vec<Message>) {
    for (prefix, direction) in [("gen_ai.prompt.", Direction::Input), ("gen_ai.completion.", Direction::Output)] {
        for (n, fields) in attrs.take_indexed(prefix) {
            out.push(flattened_message(format!("{prefix}{n}"), direction, &fields, ""));
        }
    }
}

/// `traceloop.entity.input` / `traceloop.entity.output` (always JSON texts, so a quoted
/// string is read as the string), when no
/// structured messages were found for that direction.
pub fn payload(attrs: &mut Attrs, direction: Direction) -> Option<Message> {
    let key = match direction {
        Direction::Input => "traceloop.entity.input",
        Direction::Output => "traceloop.entity.output",
    };
    let value = attrs.take(key)?;
    Some(Message::new(key, direction, to_json_declared(value)))
}
