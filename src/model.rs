//! The record types of a batch, as validated, and how two records of one id merge.
//!
//! Records keep the raw JSON text of every pass-through value (names, metadata,
//! content, …), borrowed from the body; only what the rules need is decoded (ids,
//! enums, numbers). Timestamps keep their text: PostgreSQL parses them.

use std::borrow::Cow;

use uuid::Uuid;

/// Raw JSON text of one value, borrowed from the body, or owned after a merge.
pub type Json<'a> = Cow<'a, str>;

/// Declares an enum of wire words with its parser and its text.
macro_rules! words {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every word, in the contract's order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The word as sent on the wire and stored in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the exact word.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The allowed words joined by ", ", as upstream's messages list them.
            pub fn list() -> String {
                Self::ALL.iter().map(|w| w.as_str()).collect::<Vec<_>>().join(", ")
            }
        }
    };
}

words!(
    /// Status of a run or span.
    Status { Running = "running", Ok = "ok", Error = "error" }
);
words!(
    /// What a span is.
    SpanKind { Agent = "agent", Workflow = "workflow", Model = "model", Tool = "tool", Custom = "custom" }
);
words!(
    /// What an event is.
    EventType {
        UserInput = "user_input",
        SystemMessage = "system_message",
        AssistantMessage = "assistant_message",
        Reasoning = "reasoning",
        ToolArguments = "tool_arguments",
        ToolResult = "tool_result",
        FinalResponse = "final_response",
        Custom = "custom",
    }
);
words!(
    /// How a score's value is read.
    ScoreDataType { Numeric = "numeric", Categorical = "categorical", Boolean = "boolean" }
);

impl Status {
    /// `ok` and `error` are final: a later `running` does not move a record back.
    pub fn is_terminal(self) -> bool {
        self != Status::Running
    }

    /// The status after a re-send reports `later`.
    pub fn then(self, later: Status) -> Status {
        if self.is_terminal() && later == Status::Running {
            self
        } else {
            later
        }
    }
}

/// A session: the top of the hierarchy.
#[derive(Debug, Clone, PartialEq)]
pub struct Session<'a> {
    pub id: Uuid,
    pub created_at: Cow<'a, str>,
    pub ended_at: Option<Cow<'a, str>>,
    pub metadata: Option<Json<'a>>,
}

/// A run, also called a trace: one agent invocation within a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Run<'a> {
    pub id: Uuid,
    pub session_id: Uuid,
    /// Raw JSON string literal.
    pub name: Json<'a>,
    pub started_at: Cow<'a, str>,
    pub ended_at: Option<Cow<'a, str>>,
    pub status: Status,
    pub error: Option<Json<'a>>,
    pub metadata: Option<Json<'a>>,
}

/// A span: one step of a run, possibly under a parent span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span<'a> {
    pub id: Uuid,
    pub run_id: Uuid,
    pub parent_span_id: Option<Uuid>,
    pub kind: SpanKind,
    /// Raw JSON string literal.
    pub name: Json<'a>,
    pub started_at: Cow<'a, str>,
    pub ended_at: Option<Cow<'a, str>>,
    pub status: Status,
    pub error: Option<Json<'a>>,
    pub iteration: Option<i32>,
    pub attributes: Option<Json<'a>>,
}

/// An event of a run (input, messages, tool traffic, final response).
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub id: Uuid,
    pub run_id: Uuid,
    pub span_id: Option<Uuid>,
    pub event_type: EventType,
    pub created_at: Cow<'a, str>,
    /// Any JSON; `None` is stored as JSON `null` (the SDK omits the key for `None`).
    pub content: Option<Json<'a>>,
    pub attributes: Option<Json<'a>>,
}

/// Which prompt version a span used, with the variables it was rendered with.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptLink<'a> {
    pub trace_id: Uuid,
    pub span_id: Uuid,
    pub prompt_version_id: Uuid,
    pub variable_values: Option<Json<'a>>,
}

/// An evaluation score of a run, optionally of one of its spans.
#[derive(Debug, Clone, PartialEq)]
pub struct Score<'a> {
    pub id: Uuid,
    pub trace_id: Uuid,
    pub span_id: Option<Uuid>,
    /// Raw JSON string literal (the database trims it).
    pub name: Json<'a>,
    pub value: f64,
    pub data_type: ScoreDataType,
    /// Raw JSON string literal; only for categorical scores.
    pub string_value: Option<Json<'a>>,
    /// Raw JSON string literal.
    pub comment: Option<Json<'a>>,
    pub created_at: Cow<'a, str>,
}

/// How records of one kind are identified and how copies sharing a key merge. The merge
/// gives what the database holds after receiving them in order, one request each
/// (database.md §4 with our decision 7): immutable fields keep their first value,
/// `ended_at` never goes back to null, a final status never goes back to `running`,
/// omitted `error` keeps the earlier one, and `metadata`/`attributes` merge shallowly
/// with the later keys winning (as `jsonb || jsonb` does, see [`merge_objects`]).
pub trait Record<'a>: Sized {
    /// The identity key: the id, or (span, prompt version) for prompt links, as integers
    /// (which compare faster than byte arrays).
    type Key: crate::order::BucketKey;
    /// This record's key.
    fn key(&self) -> Self::Key;
    /// Folds a later record with the same key into this one, all fields but the object
    /// that [`Record::object`] names: a group's objects are merged once, together.
    fn absorb(&mut self, later: Self);
    /// The JSON object that merges shallowly across copies (`metadata` or `attributes`),
    /// if the kind has one.
    fn object(&mut self) -> Option<&mut Option<Json<'a>>> {
        None
    }
}

/// The identity of records keyed by their `id`.
macro_rules! keyed_by_id {
    () => {
        type Key = u128;
        fn key(&self) -> u128 {
            self.id.as_u128()
        }
    };
}

fn coalesce<'a>(earlier: &mut Option<Cow<'a, str>>, later: Option<Cow<'a, str>>) {
    if later.is_some() {
        *earlier = later;
    }
}

/// True for `{}` (with any white space inside).
fn is_empty_object(text: &str) -> bool {
    text.trim_ascii().strip_prefix('{').is_some_and(|rest| rest.trim_ascii_start() == "}")
}

/// Shallow merge of JSON object texts sent in this order, in one pass: a key (compared
/// decoded, as `jsonb` compares keys, so `"a"` and `"\u0061"` are one key) takes its
/// last value, within an object as across objects — what `jsonb` gives when the objects
/// are stored one after the other with `stored || sent`. Keys stay where they first
/// appeared; keys and values are copied as the raw text that was sent, so numbers keep
/// every digit. When at most one object has members, its text is kept as it is.
///
/// Linear in the objects' bytes but for one sort of their members (O(m log m) compares,
/// whatever the keys: nothing is hashed, so no input can make it quadratic).
pub fn merge_objects<'a>(objects: &[Json<'a>]) -> Option<Json<'a>> {
    let mut filled = objects.iter().filter(|o| !is_empty_object(o));
    let Some(first) = filled.next() else { return objects.last().cloned() };
    if filled.next().is_none() {
        return Some(first.clone());
    }
    let mut members = Vec::new();
    for o in objects {
        // Every object was read and checked by the same reader, so it splits; if it ever
        // did not, its members are left out rather than guessed at.
        let before = members.len();
        if crate::json::object_members(o, &mut members).is_err() {
            debug_assert!(false, "a checked object did not split: {o}");
            members.truncate(before);
        }
    }
    // A stable sort by key keeps each key's members in the order sent: the last of each
    // run is the value that wins, the first says where the key goes.
    let mut by_key: Vec<u32> = (0..members.len() as u32).collect();
    by_key.sort_by(|&x, &y| members[x as usize].key.cmp(&members[y as usize].key));
    let mut winners: Vec<(u32, u32)> = by_key
        .chunk_by(|&x, &y| members[x as usize].key == members[y as usize].key)
        .filter_map(|run| Some((*run.first()?, *run.last()?)))
        .collect();
    winners.sort_unstable();
    let size = winners.iter().map(|&(_, w)| members[w as usize].raw_key.len() + members[w as usize].value.len() + 4);
    let mut out = String::with_capacity(2 + size.sum::<usize>());
    out.push('{');
    for (k, &(_, w)) in winners.iter().enumerate() {
        let m = &members[w as usize];
        if k > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(m.raw_key);
        out.push_str("\":");
        out.push_str(m.value);
    }
    out.push('}');
    Some(Cow::Owned(out))
}

impl<'a> Record<'a> for Session<'a> {
    keyed_by_id!();
    fn absorb(&mut self, later: Self) {
        coalesce(&mut self.ended_at, later.ended_at);
    }
    fn object(&mut self) -> Option<&mut Option<Json<'a>>> {
        Some(&mut self.metadata)
    }
}

/// Runs and spans share their mutable fields: `ended_at`, `status`, `error` and an object
/// (`metadata` for runs, `attributes` for spans).
macro_rules! absorb_step {
    ($object:ident) => {
        fn absorb(&mut self, later: Self) {
            coalesce(&mut self.ended_at, later.ended_at);
            self.status = self.status.then(later.status);
            coalesce(&mut self.error, later.error);
        }
        fn object(&mut self) -> Option<&mut Option<Json<'a>>> {
            Some(&mut self.$object)
        }
    };
}

impl<'a> Record<'a> for Run<'a> {
    keyed_by_id!();
    absorb_step!(metadata);
}

impl<'a> Record<'a> for Span<'a> {
    keyed_by_id!();
    absorb_step!(attributes);
}

impl<'a> Record<'a> for Event<'a> {
    keyed_by_id!();
    fn absorb(&mut self, later: Self) {
        self.content = later.content;
    }
    fn object(&mut self) -> Option<&mut Option<Json<'a>>> {
        Some(&mut self.attributes)
    }
}

impl<'a> Record<'a> for PromptLink<'a> {
    type Key = (u128, u128);
    fn key(&self) -> (u128, u128) {
        (self.span_id.as_u128(), self.prompt_version_id.as_u128())
    }
    fn absorb(&mut self, later: Self) {
        // A re-sent link replaces its variable values (absent means `{}`).
        self.variable_values = later.variable_values;
    }
}

impl<'a> Record<'a> for Score<'a> {
    keyed_by_id!();
    fn absorb(&mut self, later: Self) {
        // A re-sent score overwrites every field.
        *self = later;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_list_in_contract_order() {
        assert_eq!(SpanKind::list(), "agent, workflow, model, tool, custom");
        assert_eq!(EventType::parse("tool_result"), Some(EventType::ToolResult));
        assert_eq!(EventType::parse("Tool_result"), None);
        for w in Status::ALL {
            assert_eq!(Status::parse(w.as_str()), Some(*w));
        }
    }

    #[test]
    fn final_status_is_not_moved_back_to_running() {
        assert_eq!(Status::Ok.then(Status::Running), Status::Ok);
        assert_eq!(Status::Error.then(Status::Running), Status::Error);
        assert_eq!(Status::Ok.then(Status::Error), Status::Error);
        assert_eq!(Status::Running.then(Status::Ok), Status::Ok);
    }

    fn merged(objects: &[&'static str]) -> Option<String> {
        let objects: Vec<Json> = objects.iter().map(|o| Cow::Borrowed(*o)).collect();
        merge_objects(&objects).map(Cow::into_owned)
    }

    #[test]
    fn objects_merge_shallowly_later_keys_win_in_first_place() {
        assert_eq!(
            merged(&[r#"{"a":1,"b":{"x":1}}"#, r#"{"b":{"y":2},"c":3}"#]).unwrap(),
            r#"{"a":1,"b":{"y":2},"c":3}"#
        );
        assert_eq!(merged(&[r#"{"a":1,"a":2}"#, r#"{"b":3,"a":4,"b":5}"#]).unwrap(), r#"{"a":4,"b":5}"#);
        assert_eq!(merged(&[]), None);
    }

    #[test]
    fn values_and_keys_are_kept_as_sent() {
        assert_eq!(
            merged(&[r#"{ "n" : 12345678901234567890123, "\u00e9": 1e-400 }"#, r#"{"m":-0}"#]).unwrap(),
            r#"{"n":12345678901234567890123,"\u00e9":1e-400,"m":-0}"#
        );
        // Keys compare decoded: an escaped spelling is the same key.
        assert_eq!(merged(&[r#"{"a":1,"b":2}"#, r#"{"\u0061":3}"#]).unwrap(), r#"{"\u0061":3,"b":2}"#);
    }

    #[test]
    fn a_single_object_with_members_is_kept_byte_for_byte() {
        assert_eq!(merged(&["{}", r#"{ "a":1, "a":2 }"#, "{ }"]).unwrap(), r#"{ "a":1, "a":2 }"#);
        assert_eq!(merged(&["{}", " { } "]).unwrap(), " { } ");
    }
}
