//! OpenTelemetry GenAI semantic conventions (`gen_ai.*`): the operation name, the
//! messages (the current `gen_ai.input.messages` / `gen_ai.output.messages` /
//! `gen_ai.system_instructions` attributes, and the older per-message span events
//! `gen_ai.{system,user,assistant,tool}.message` / `gen_ai.choice` and
//! `gen_ai.content.prompt` / `gen_ai.content.completion`), tool call arguments and
//! results, and usage (current and older token attribute names).

use serde_json::{Map, Value as Json};

use super::attrs::{text_of_parts, Attrs, Direction, Explicit, Message};
use super::value::{as_count, as_number, to_json_parsed};
use super::wire::SpanEvent;
use super::Kind;

/// The span kind `gen_ai.operation.name` gives, if it names a known operation.
pub fn kind(attrs: &Attrs) -> Option<Kind> {
    Some(match attrs.str("gen_ai.operation.name")? {
        "chat" | "text_completion" | "generate_content" | "embeddings" => Kind::Model,
        "execute_tool" => Kind::Tool,
        "invoke_agent" | "create_agent" => Kind::Agent,
        _ => return None,
    })
}

/// Messages held in span attributes: system instructions, input and output messages,
/// tool call arguments and result.
pub fn attribute_messages(attrs: &mut Attrs, out: &mut Vec<Message>) {
    if let Some(v) = attrs.take("gen_ai.system_instructions") {
        let parts = to_json_parsed(v);
        let content = match &parts {
            Json::Array(p) => text_of_parts(p).map_or(parts.clone(), Json::String),
            _ => parts.clone(),
        };
        let mut m = Message::new("gen_ai.system_instructions", Direction::Input, content);
        m.role = Some("system".into());
        out.push(m);
    }
    for (key, direction) in [("gen_ai.input.messages", Direction::Input), ("gen_ai.output.messages", Direction::Output)]
    {
        if let Some(v) = attrs.take(key) {
            push_message_list(key, direction, to_json_parsed(v), None, out);
        }
    }
    if let Some(v) = attrs.take("gen_ai.tool.call.arguments") {
        let mut m = Message::new("gen_ai.tool.call.arguments", Direction::Input, to_json_parsed(v));
        m.explicit = Some(Explicit::ToolArguments);
        out.push(m);
    }
    if let Some(v) = attrs.take("gen_ai.tool.call.result") {
        let mut m = Message::new("gen_ai.tool.call.result", Direction::Output, to_json_parsed(v));
        m.explicit = Some(Explicit::ToolResult);
        out.push(m);
    }
}

/// A list of messages (a JSON array, or one message object) as messages `source[i]`.
pub fn push_message_list(source: &str, direction: Direction, list: Json, time: Option<u64>, out: &mut Vec<Message>) {
    match list {
        Json::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                let mut m = message_from_json(format!("{source}[{i}]"), direction, item);
                m.time_unix_nano = time;
                out.push(m);
            }
        }
        other => {
            let mut m = message_from_json(source.to_owned(), direction, other);
            m.time_unix_nano = time;
            out.push(m);
        }
    }
}

/// One message object (`{role, parts, finish_reason}` in the GenAI shape, or the chat
/// API's `{role, content, tool_calls}`): its text when it is only text, else its parts or
/// content as they are; the other keys become the event's attributes.
pub fn message_from_json(source: String, direction: Direction, item: Json) -> Message {
    let Json::Object(mut obj) = item else {
        return Message::new(source, direction, item);
    };
    let role = obj.remove("role").and_then(|r| r.as_str().map(str::to_owned));
    let body = obj.remove("parts").or_else(|| obj.remove("content")).unwrap_or(Json::Null);
    let content = match body {
        Json::Array(parts) => match text_of_parts(&parts) {
            Some(text) => Json::String(text),
            None => Json::Array(parts),
        },
        other => other,
    };
    let mut m = Message::new(source, direction, content);
    m.role = role;
    m.extra = obj;
    m
}

/// The role a per-message span event's name implies.
fn event_role(name: &str) -> Option<(&'static str, Direction)> {
    Some(match name {
        "gen_ai.system.message" => ("system", Direction::Input),
        "gen_ai.user.message" => ("user", Direction::Input),
        "gen_ai.assistant.message" => ("assistant", Direction::Input),
        "gen_ai.tool.message" => ("tool", Direction::Input),
        "gen_ai.choice" => ("assistant", Direction::Output),
        _ => return None,
    })
}

/// Messages carried by a span event, if it is one of the GenAI message events;
/// `None` leaves the event to the caller.
pub fn event_messages(index: usize, event: &SpanEvent) -> Option<Vec<Message>> {
    let source = format!("event[{index}]");
    let time = Some(event.time_unix_nano);
    let mut out = Vec::new();
    if let Some((role, direction)) = event_role(&event.name) {
        let mut attrs = Attrs::new(&event.attributes);
        // The body of these events: `content` (and for choices `message.content`),
        // `tool_calls`, `id`, `index`, `finish_reason`; anything else kept beside it.
        let content = attrs
            .take("content")
            .or_else(|| attrs.take("message.content"))
            .or_else(|| attrs.take("gen_ai.event.content"))
            .map_or(Json::Null, to_json_parsed);
        let mut m = match content {
            Json::Object(_) if attrs.get("content").is_none() => message_from_json(source, direction, content),
            other => Message::new(source, direction, other),
        };
        m.role = Some(attrs.str("role").map_or(role.to_owned(), str::to_owned));
        let _ = attrs.take("role");
        m.extra.extend(attrs.remaining_json());
        m.time_unix_nano = time;
        out.push(m);
        return Some(out);
    }
    let attrs = Attrs::new(&event.attributes);
    match event.name.as_str() {
        "gen_ai.content.prompt" => {
            let v = attrs.get("gen_ai.prompt")?;
            push_message_list(&source, Direction::Input, to_json_parsed(v), time, &mut out);
        }
        "gen_ai.content.completion" => {
            let v = attrs.get("gen_ai.completion")?;
            push_message_list(&source, Direction::Output, to_json_parsed(v), time, &mut out);
        }
        _ => {
            // An inference-details event carries the same attributes a span would.
            let input = attrs.get("gen_ai.input.messages");
            let output = attrs.get("gen_ai.output.messages");
            if input.is_none() && output.is_none() {
                return None;
            }
            if let Some(v) = input {
                push_message_list(&format!("{source}.input"), Direction::Input, to_json_parsed(v), time, &mut out);
            }
            if let Some(v) = output {
                push_message_list(&format!("{source}.output"), Direction::Output, to_json_parsed(v), time, &mut out);
            }
        }
    }
    Some(out)
}

/// Model, token usage and cost, under the keys the dashboard's read models read
/// (`model`, `input_tokens`, `output_tokens`, `total_tokens`, `cost_usd`), from the
/// GenAI names (current and older), OpenInference's and OpenLLMetry's.
pub fn usage(attrs: &Attrs, into: &mut Map<String, Json>) {
    let model = attrs.first_str(&[
        "gen_ai.response.model",
        "gen_ai.request.model",
        "llm.response.model_name",
        "llm.model_name",
        "llm.request.model_name",
        "embedding.model_name",
    ]);
    if let Some(model) = model {
        into.insert("model".into(), Json::String(model.to_owned()));
    }
    let count = |keys: &[&str]| keys.iter().find_map(|k| attrs.get(k).and_then(as_count));
    let input = count(&["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt"]);
    let output = count(&["gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion"]);
    let total = count(&["gen_ai.usage.total_tokens", "llm.usage.total_tokens", "llm.token_count.total"]).or(
        match (input, output) {
            (Some(i), Some(o)) => i.checked_add(o),
            _ => None,
        },
    );
    for (key, n) in [("input_tokens", input), ("output_tokens", output), ("total_tokens", total)] {
        if let Some(n) = n {
            into.insert(key.into(), Json::from(n));
        }
    }
    let cost = ["gen_ai.usage.cost", "llm.cost.total"].iter().find_map(|k| attrs.get(k).and_then(as_number));
    if let Some(cost) = cost.and_then(serde_json::Number::from_f64) {
        into.insert("cost_usd".into(), Json::Number(cost));
    }
}
