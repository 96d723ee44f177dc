//! One span's attributes by key, with the keys the mapping turned into something else
//! (messages, events) marked as used, so they are not stored twice; and the message
//! shape every convention family produces.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

use super::value::{self, as_str};
use super::wire::{AnyValue, KeyValue};

/// The attributes of one span (or span event), looked up by key.
pub struct Attrs<'a> {
    pairs: &'a [KeyValue],
    /// Per pair: turned into something else (or shadowed by a later pair of the same key).
    used: Vec<bool>,
}

/// Which way a message goes: into the operation (prompt) or out of it (completion).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Input,
    Output,
}

/// What a message is, when the convention says so regardless of role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Explicit {
    ToolArguments,
    ToolResult,
}

/// A message or payload found in a span, before it becomes a NorthStar event.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Where it came from, unique within the span (an attribute key, or `event[3]`); part
    /// of the event's derived id and stored as the event's `otel.source` attribute.
    pub source: String,
    pub direction: Direction,
    /// The sender's role as the convention wrote it (`user`, `assistant`, `system`, …).
    pub role: Option<String>,
    pub explicit: Option<Explicit>,
    pub content: Json,
    /// The span event's time, when the message came from a span event.
    pub time_unix_nano: Option<u64>,
    /// Other facts about the message (finish reason, tool calls, …), kept as attributes.
    pub extra: Map<String, Json>,
}

impl Message {
    /// The attributes its event is stored with: `otel.source`, `otel.index` (its place among
    /// the span's messages) and `role`, then the message's own facts, which win. The facts
    /// are moved out (the message keeps no `extra`).
    pub fn take_event_attributes(&mut self, index: usize) -> Map<String, Json> {
        let mut attributes = Map::new();
        attributes.insert("otel.source".into(), Json::String(self.source.clone()));
        attributes.insert("otel.index".into(), Json::from(index));
        if let Some(role) = &self.role {
            attributes.insert("role".into(), Json::String(role.clone()));
        }
        attributes.extend(std::mem::take(&mut self.extra));
        attributes
    }

    /// A message with no role, event time or extra facts.
    pub fn new(source: impl Into<String>, direction: Direction, content: Json) -> Self {
        Message {
            source: source.into(),
            direction,
            role: None,
            explicit: None,
            content,
            time_unix_nano: None,
            extra: Map::new(),
        }
    }
}

impl<'a> Attrs<'a> {
    /// A span has tens of attributes: a linear scan beats hashing every key (measured: a
    /// `HashMap` per span cost more than the lookups it saved).
    pub fn new(pairs: &'a [KeyValue]) -> Self {
        Attrs { pairs, used: vec![false; pairs.len()] }
    }

    /// The index of the last pair with `key` (a repeated key keeps its last value, as in
    /// the stored attributes).
    fn position(&self, key: &str) -> Option<usize> {
        self.pairs.iter().rposition(|kv| kv.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&'a AnyValue> {
        self.position(key).and_then(|i| self.pairs[i].value.as_ref())
    }

    /// The string value of `key`, if it is a non-empty string.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(as_str).filter(|s| !s.is_empty())
    }

    /// The first of `keys` that holds a non-empty string.
    pub fn first_str(&self, keys: &[&str]) -> Option<&'a str> {
        keys.iter().find_map(|k| self.str(k))
    }

    /// Marks `key` as turned into something else: it is left out of the stored attributes.
    pub fn take(&mut self, key: &str) -> Option<&'a AnyValue> {
        let i = self.position(key)?;
        let value = self.pairs[i].value.as_ref()?;
        for (kv, used) in self.pairs.iter().zip(self.used.iter_mut()) {
            if kv.key == key {
                *used = true;
            }
        }
        Some(value)
    }

    /// Groups the keys `prefix N rest` by their index `N` (OpenInference's and
    /// Traceloop's flattened lists, e.g. `gen_ai.prompt.0.role`), marking them used.
    pub fn take_indexed(&mut self, prefix: &str) -> BTreeMap<usize, Vec<(&'a str, &'a AnyValue)>> {
        let mut groups: BTreeMap<usize, Vec<(&'a str, &'a AnyValue)>> = BTreeMap::new();
        let pairs: &'a [KeyValue] = self.pairs;
        for (kv, used) in pairs.iter().zip(self.used.iter_mut()) {
            let Some(rest) = kv.key.strip_prefix(prefix) else { continue };
            let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
            // Only plain decimal indexes (no sign, no leading zeros beyond "0").
            let Ok(n) = index.parse::<usize>() else { continue };
            if index != n.to_string() {
                continue;
            }
            *used = true;
            let Some(value) = kv.value.as_ref() else { continue };
            let fields = groups.entry(n).or_default();
            // A repeated field keeps its last value.
            match fields.iter_mut().find(|(f, _)| *f == field) {
                Some(slot) => slot.1 = value,
                None => fields.push((field, value)),
            }
        }
        for fields in groups.values_mut() {
            fields.sort_by(|a, b| a.0.cmp(b.0));
        }
        groups
    }

    /// The pairs not turned into something else, a repeated key once (its last value).
    pub fn remaining(&self) -> impl Iterator<Item = &'a KeyValue> + '_ {
        let pairs: &'a [KeyValue] = self.pairs;
        pairs.iter().zip(&self.used).enumerate().filter_map(move |(i, (kv, used))| {
            let last = !pairs[i + 1..].iter().any(|later| later.key == kv.key);
            (!used && last).then_some(kv)
        })
    }

    /// The attributes not turned into something else, as a JSON object (keys as sent).
    pub fn remaining_json(&self) -> Map<String, Json> {
        let mut map = Map::new();
        for (kv, used) in self.pairs.iter().zip(&self.used) {
            if !used {
                map.insert(kv.key.clone(), kv.value.as_ref().map_or(Json::Null, value::to_json));
            }
        }
        map
    }
}

/// The text of a message's content parts when every part is text (joined by newlines),
/// else `None`. Accepts GenAI parts (`{"type":"text","content":…}`) and chat-API parts
/// (`{"type":"text","text":…}`).
pub fn text_of_parts(parts: &[Json]) -> Option<String> {
    let mut texts = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Json::String(s) => texts.push(s.as_str()),
            Json::Object(o) if o.get("type").and_then(Json::as_str).map_or(true, |t| t == "text") => {
                texts.push(o.get("content").or_else(|| o.get("text")).and_then(Json::as_str)?);
            }
            _ => return None,
        }
    }
    Some(texts.join("\n"))
}

/// A role word as the event types know it.
pub fn normal_role(role: &str) -> &str {
    match role.to_ascii_lowercase().as_str() {
        "system" | "developer" => "system",
        "user" | "human" => "user",
        "assistant" | "ai" | "model" | "bot" => "assistant",
        "tool" | "function" | "ipython" => "tool",
        _ => "other",
    }
}
