//! Prompt templates: which variables a template uses, rendering it, and its content hash.
//!
//! The same rules hold everywhere a prompt is handled — here (Edge Functions, browsers),
//! and in the database (`private.prompt_variables`, migration 025), which must agree on
//! every template (a shared corpus checks both). The rules, after the NorthStar SDK's:
//!
//! - A **variable name** is an ASCII letter or `_`, then ASCII letters, digits or `_`.
//!   Names with other characters (`{{ café }}`) are not placeholders and stay as typed.
//! - **Jinja style**: `{{ name }}`; ASCII white space (space, tab, LF, CR, FF, VT) is
//!   optional on either side of the name inside the braces.
//! - **Python style**: `{name}`, no white space, and not directly inside another brace: a
//!   `{` right before it or a `}` right after it means it is not a placeholder.
//! - Each style is found left to right without overlaps. So `{{{x}}}` holds the Jinja
//!   placeholder `x` (rendered `{` + value + `}`), while `{{x}`, `{x}}` and `{ x }` hold
//!   none. There is no escape syntax: to keep literal braces around a name, put white
//!   space inside single braces (`{ name }`).
//! - **Variables** are the distinct names of both styles, sorted by code point, each
//!   described as `{"name": n, "type": "string", "required": true, "default": null}`.
//! - **Rendering** replaces every placeholder in one pass, left to right (at a given
//!   position a Jinja placeholder is tried before a Python one), so text inside a value is
//!   never expanded again. Strings are inserted as they are; other JSON values as their
//!   compact JSON text. Every variable must be given and not null, else the error names
//!   all the missing ones, sorted: `Missing prompt variables: a, b`. Extra values are
//!   ignored.
//! - **Content hash**: `sha256:` + the lowercase hex SHA-256 of the UTF-8 content.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

/// A placeholder found in a template: its byte range and its variable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placeholder<'a> {
    start: usize,
    end: usize,
    name: &'a str,
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn is_name_char(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphanumeric()
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\x0b')
}

/// The end of the name starting at `at`, if a name starts there.
fn name_end(b: &[u8], at: usize) -> Option<usize> {
    if !b.get(at).copied().is_some_and(is_name_start) {
        return None;
    }
    let mut end = at + 1;
    while b.get(end).copied().is_some_and(is_name_char) {
        end += 1;
    }
    Some(end)
}

/// A Jinja placeholder `{{ name }}` starting exactly at `at`.
fn jinja_at(content: &str, at: usize) -> Option<Placeholder<'_>> {
    let b = content.as_bytes();
    if b.get(at..at + 2)? != b"{{" {
        return None;
    }
    let mut i = at + 2;
    while b.get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    let name_start = i;
    let name_stop = name_end(b, i)?;
    i = name_stop;
    while b.get(i).copied().is_some_and(is_space) {
        i += 1;
    }
    (b.get(i..i + 2)? == b"}}").then(|| Placeholder { start: at, end: i + 2, name: &content[name_start..name_stop] })
}

/// A Python placeholder `{name}` starting exactly at `at`, not directly inside braces.
fn python_at(content: &str, at: usize) -> Option<Placeholder<'_>> {
    let b = content.as_bytes();
    if b.get(at) != Some(&b'{') || (at > 0 && b[at - 1] == b'{') {
        return None;
    }
    let stop = name_end(b, at + 1)?;
    if b.get(stop) != Some(&b'}') || b.get(stop + 1) == Some(&b'}') {
        return None;
    }
    Some(Placeholder { start: at, end: stop + 1, name: &content[at + 1..stop] })
}

/// All placeholders of one style, left to right, without overlaps.
fn scan<'a>(content: &'a str, find: fn(&'a str, usize) -> Option<Placeholder<'a>>) -> Vec<Placeholder<'a>> {
    let mut found = Vec::new();
    let mut at = 0;
    while let Some(offset) = content.as_bytes()[at..].iter().position(|&c| c == b'{') {
        at += offset;
        match find(content, at) {
            Some(p) => {
                at = p.end;
                found.push(p);
            }
            None => at += 1,
        }
    }
    found
}

/// The distinct variable names of a template, sorted.
pub fn extract_variables(content: &str) -> Vec<String> {
    let names: BTreeSet<&str> =
        scan(content, jinja_at).into_iter().chain(scan(content, python_at)).map(|p| p.name).collect();
    names.into_iter().map(str::to_owned).collect()
}

/// How a prompt version describes one of its variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VariableSpec {
    pub name: String,
    /// Always `string`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Always true.
    pub required: bool,
    /// Always null.
    pub default: Option<String>,
}

/// The variables of a template as prompt versions store them.
pub fn variables_schema(content: &str) -> Vec<VariableSpec> {
    extract_variables(content)
        .into_iter()
        .map(|name| VariableSpec { name, kind: "string", required: true, default: None })
        .collect()
}

/// Why a template could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RenderError {
    /// Variables the template uses that were not given (or were null), sorted.
    Missing(Vec<String>),
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            RenderError::Missing(names) => write!(f, "Missing prompt variables: {}", names.join(", ")),
        }
    }
}

impl std::error::Error for RenderError {}

/// Renders a template with the given values (see the module documentation for the rules).
pub fn render(content: &str, values: &serde_json::Map<String, serde_json::Value>) -> Result<String, RenderError> {
    let given = |name: &str| values.get(name).filter(|v| !v.is_null());
    let missing: Vec<String> = extract_variables(content).into_iter().filter(|n| given(n).is_none()).collect();
    if !missing.is_empty() {
        return Err(RenderError::Missing(missing));
    }
    let mut out = String::with_capacity(content.len());
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = content.as_bytes()[at..].iter().position(|&c| c == b'{') {
        at += offset;
        match jinja_at(content, at).or_else(|| python_at(content, at)) {
            Some(p) => {
                out.push_str(&content[copied..p.start]);
                match given(p.name) {
                    Some(serde_json::Value::String(s)) => out.push_str(s),
                    Some(other) => out.push_str(&other.to_string()),
                    None => {}
                }
                copied = p.end;
                at = p.end;
            }
            None => at += 1,
        }
    }
    out.push_str(&content[copied..]);
    Ok(out)
}

/// `sha256:` + the lowercase hex SHA-256 of the UTF-8 content.
pub fn content_hash(content: &str) -> String {
    format!("sha256:{}", crate::auth::hex_sha256(content.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vars(content: &str) -> Vec<String> {
        extract_variables(content)
    }

    fn values(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_sdk_example() {
        assert_eq!(vars("Hello {{ name }}, write {count} bullets for {{ topic }}."), ["count", "name", "topic"]);
        let schema = serde_json::to_value(variables_schema("{b} {{a}}")).unwrap();
        assert_eq!(
            schema,
            json!([{"name":"a","type":"string","required":true,"default":null},{"name":"b","type":"string","required":true,"default":null}])
        );
    }

    #[test]
    fn edge_cases_of_braces() {
        assert_eq!(vars("{{{x}}}"), ["x"]);
        assert!(vars("{ x }").is_empty());
        assert!(vars("{{x}").is_empty());
        assert!(vars("{x}}").is_empty());
        assert!(vars("{{ x y }}").is_empty());
        assert_eq!(vars("{{\tx\n}}"), ["x"]);
        assert!(vars("{{\u{a0}x}}").is_empty(), "only ASCII white space");
        assert!(vars("{{ café }}").is_empty(), "only ASCII names");
        assert_eq!(vars("{_a1}{b}"), ["_a1", "b"]);
        assert!(vars("{1a}").is_empty());
        assert_eq!(vars("{a}{a}{{a}}"), ["a"]);
        assert_eq!(vars("é{x}é"), ["x"]);
        assert!(vars("").is_empty());
        assert!(vars("{{}}{}{").is_empty());
    }

    #[test]
    fn rendering_is_one_pass() {
        let v = values(json!({"a": "{b}", "b": "B", "n": 120, "ok": true, "o": {"k": [1]}}));
        assert_eq!(render("{{ a }} {b}", &v).unwrap(), "{b} B", "a value is never expanded again");
        assert_eq!(render("{n} {{ok}} {o}", &v).unwrap(), "120 true {\"k\":[1]}");
        assert_eq!(render("{{{b}}}", &v).unwrap(), "{B}");
        assert_eq!(render("{ b } {{b}", &v).unwrap(), "{ b } {{b}");
        assert_eq!(render("no placeholders", &v).unwrap(), "no placeholders");
    }

    #[test]
    fn missing_variables_are_named_sorted() {
        let err = render("{{ z }} {a} {m}", &values(json!({"m": "x", "a": null}))).unwrap_err();
        assert_eq!(err, RenderError::Missing(vec!["a".into(), "z".into()]));
        assert_eq!(err.to_string(), "Missing prompt variables: a, z");
    }

    #[test]
    fn hash_has_the_prefix() {
        assert_eq!(content_hash("test"), "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    }
}
