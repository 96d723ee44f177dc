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

/// How records of one kind are identified and how a later copy is folded into an
/// earlier one. The fold gives what the database would hold after receiving the two
/// in order (database.md §4 with our decision 7): immutable fields keep their first
/// value, `ended_at` never goes back to null, a final status never goes back to
/// `running`, omitted `error` keeps the earlier one, and `metadata`/`attributes` merge
/// shallowly with the later keys winning.
pub trait Record: Sized {
    /// The identity key: the id, or (span, prompt version) for prompt links, as integers
    /// (which compare faster than byte arrays).
    type Key: crate::order::BucketKey;
    /// This record's key.
    fn key(&self) -> Self::Key;
    /// Folds a later record with the same key into this one.
    fn absorb(&mut self, later: Self);
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

/// Shallow merge of two JSON object texts: the earlier's keys kept, the later's winning.
pub fn merge_objects<'a>(earlier: &mut Option<Json<'a>>, later: Option<Json<'a>>) {
    let Some(later) = later else { return };
    let Some(prev) = earlier.take() else {
        *earlier = Some(later);
        return;
    };
    type Map = serde_json::Map<String, serde_json::Value>;
    // Both texts were checked to be objects within the depth limit, so both parse.
    match (serde_json::from_str::<Map>(&prev), serde_json::from_str::<Map>(&later)) {
        (Ok(mut merged), Ok(newer)) => {
            merged.extend(newer);
            *earlier = Some(Cow::Owned(serde_json::Value::Object(merged).to_string()));
        }
        _ => *earlier = Some(later),
    }
}

impl Record for Session<'_> {
    keyed_by_id!();
    fn absorb(&mut self, later: Self) {
        coalesce(&mut self.ended_at, later.ended_at);
        merge_objects(&mut self.metadata, later.metadata);
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
            merge_objects(&mut self.$object, later.$object);
        }
    };
}

impl Record for Run<'_> {
    keyed_by_id!();
    absorb_step!(metadata);
}

impl Record for Span<'_> {
    keyed_by_id!();
    absorb_step!(attributes);
}

impl Record for Event<'_> {
    keyed_by_id!();
    fn absorb(&mut self, later: Self) {
        self.content = later.content;
        merge_objects(&mut self.attributes, later.attributes);
    }
}

impl Record for PromptLink<'_> {
    type Key = (u128, u128);
    fn key(&self) -> (u128, u128) {
        (self.span_id.as_u128(), self.prompt_version_id.as_u128())
    }
    fn absorb(&mut self, later: Self) {
        // A re-sent link replaces its variable values (absent means `{}`).
        self.variable_values = later.variable_values;
    }
}

impl Record for Score<'_> {
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

    #[test]
    fn objects_merge_shallowly_later_keys_win() {
        let mut m = Some(Cow::Borrowed(r#"{"a":1,"b":{"x":1}}"#));
        merge_objects(&mut m, Some(Cow::Borrowed(r#"{"b":{"y":2},"c":3}"#)));
        let v: serde_json::Value = serde_json::from_str(&m.unwrap()).unwrap();
        assert_eq!(v, serde_json::json!({"a":1,"b":{"y":2},"c":3}));
        let mut m = Some(Cow::Borrowed(r#"{"a":1}"#));
        merge_objects(&mut m, None);
        assert_eq!(m.unwrap(), r#"{"a":1}"#);
    }
}
