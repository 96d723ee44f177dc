//! Repairs: what a real client sends that PostgreSQL cannot store, or that is too big to
//! keep whole, is made storable instead of refused (unless `Limits::strict`), and every
//! change is reported as a warning.
//!
//! The reader (`json.rs`) flags a value while it reads the body — a `\u0000` escape, an
//! unpaired surrogate escape, a string longer than `Limits::max_field_bytes` — and only a
//! flagged value is rewritten here, so a clean batch never comes here and the body is
//! never read a second time.
//!
//! - NUL and unpaired surrogates become U+FFFD, the character Unicode sets aside for
//!   "something was here that could not be represented", written as the escape `\ufffd`
//!   (so an ASCII body stays ASCII), in values and keys.
//! - A string value whose decoded text is longer than the limit is cut between two
//!   characters of the decoded text, so never inside an escape sequence or between the two
//!   halves of a surrogate pair, and ends with the marker `\u2026[truncated N bytes]` (`…`
//!   and the number of UTF-8 bytes cut off). The marker keeps the value a string (readers
//!   that expect a string still get one) and tells a person reading it what happened and how
//!   much is missing; the cut leaves room for the marker, so a stored value is never
//!   longer than the limit.

use std::borrow::Cow;
use std::fmt::Write;

use crate::violation::{push_key, Code};

/// Room kept for the marker: `…` (3 bytes), `[truncated `, up to 20 digits, ` bytes]`.
pub const MARKER_RESERVE: usize = 3 + 11 + 20 + 7;

/// What one unit of a string's inner text is: a character as written or one escape (a
/// surrogate pair is one unit).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Plain,
    Nul,
    LoneSurrogate,
}

fn hex4(b: &[u8], at: usize) -> Option<u32> {
    let digits = b.get(at..at + 4)?;
    digits.iter().try_fold(0u32, |n, &d| Some(n * 16 + (d as char).to_digit(16)?))
}

/// The unit at `j` of a string's inner text (valid JSON): its length as written, the
/// length of its decoded UTF-8 (after repair), and what it is.
fn unit(b: &[u8], j: usize) -> (usize, usize, Unit) {
    match b[j] {
        b'\\' if b.get(j + 1) == Some(&b'u') => match hex4(b, j + 2) {
            Some(0) => (6, 3, Unit::Nul),
            Some(0xD800..=0xDBFF) => {
                let pair = b.get(j + 6) == Some(&b'\\') && b.get(j + 7) == Some(&b'u');
                match hex4(b, j + 8) {
                    Some(0xDC00..=0xDFFF) if pair => (12, 4, Unit::Plain),
                    _ => (6, 3, Unit::LoneSurrogate),
                }
            }
            Some(0xDC00..=0xDFFF) => (6, 3, Unit::LoneSurrogate),
            Some(cp) => (6, char::from_u32(cp).map_or(3, char::len_utf8), Unit::Plain),
            None => (2, 1, Unit::Plain),
        },
        b'\\' => (2, 1, Unit::Plain),
        c if c < 0x80 => (1, 1, Unit::Plain),
        c => {
            let width = if c >= 0xF0 {
                4
            } else if c >= 0xE0 {
                3
            } else {
                2
            };
            (width, width, Unit::Plain)
        }
    }
}

/// A string's inner text after repair, and what was done.
#[derive(Debug, PartialEq, Eq)]
pub struct FixedString {
    /// The new inner text (valid JSON string content).
    pub text: String,
    /// NUL escapes replaced (in the kept part).
    pub nul: usize,
    /// Unpaired surrogate escapes replaced (in the kept part).
    pub lone_surrogates: usize,
    /// When cut: the decoded length before, and the decoded bytes kept (before the marker).
    pub cut: Option<(usize, usize)>,
}

/// Repairs one string's inner text (valid JSON): NUL and unpaired surrogate escapes become
/// `\ufffd`, and a decoded text longer than `max` bytes is cut and marked. `None` when
/// nothing needed changing.
pub fn fix_string(inner: &str, max: usize) -> Option<FixedString> {
    let b = inner.as_bytes();
    let budget = max.saturating_sub(MARKER_RESERVE);
    let (mut decoded, mut cut_at, mut repairs) = (0usize, None, false);
    let mut j = 0;
    while j < b.len() {
        let (raw, len, what) = unit(b, j);
        if cut_at.is_none() && decoded + len > budget {
            cut_at = Some((j, decoded));
        }
        repairs |= what != Unit::Plain;
        decoded += len;
        j += raw;
    }
    let cut = cut_at.filter(|_| decoded > max);
    if !repairs && cut.is_none() {
        return None;
    }
    let end = cut.map_or(b.len(), |(at, _)| at);
    let mut fixed = FixedString { text: String::with_capacity(end + 48), nul: 0, lone_surrogates: 0, cut: None };
    let (mut j, mut copied) = (0, 0);
    while j < end {
        let (raw, _, what) = unit(b, j);
        if what != Unit::Plain {
            fixed.text.push_str(&inner[copied..j]);
            fixed.text.push_str("\\ufffd");
            copied = j + raw;
            if what == Unit::Nul {
                fixed.nul += 1;
            } else {
                fixed.lone_surrogates += 1;
            }
        }
        j += raw;
    }
    fixed.text.push_str(&inner[copied..end]);
    if let Some((_, kept)) = cut {
        let _ = write!(fixed.text, "\\u2026[truncated {} bytes]", decoded - kept);
        fixed.cut = Some((decoded, kept));
    }
    Some(fixed)
}

/// The first place a kind of repair was made in one value, and how many there were.
#[derive(Default)]
struct Tally {
    first: Option<String>,
    count: usize,
}

impl Tally {
    fn add(&mut self, n: usize, path: impl FnOnce() -> String) {
        if n > 0 && self.first.is_none() {
            self.first = Some(path());
        }
        self.count += n;
    }
}

/// One open container while walking a value.
enum Frame<'t> {
    Object(Cow<'t, str>),
    Array(usize),
}

fn path_of(base: &str, stack: &[Frame], at_key: Option<&str>) -> String {
    let mut path = base.to_string();
    for frame in stack {
        match frame {
            Frame::Object(key) => push_key(&mut path, key),
            Frame::Array(i) => {
                let _ = write!(path, "[{i}]");
            }
        }
    }
    if let Some(key) = at_key {
        push_key(&mut path, key);
    }
    path
}

/// Where the string whose inner text starts at `from` ends (its closing quote).
fn string_end(b: &[u8], mut from: usize) -> Option<usize> {
    while let Some(&c) = b.get(from) {
        match c {
            b'"' => return Some(from),
            b'\\' => from += 2,
            _ => from += 1,
        }
    }
    None
}

/// Repairs one flagged value (its JSON text, valid as the reader checked it) whose path is
/// `base`. Each kind of repair is reported once per value, at its first place, with the
/// number of places in the message: `report(path, code, message)`.
pub fn repair_value(text: &str, base: &str, max: usize, report: &mut dyn FnMut(String, Code, String)) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut stack: Vec<Frame> = Vec::new();
    let (mut nul, mut lone, mut cut) = (Tally::default(), Tally::default(), Tally::default());
    let mut cut_sizes = (0usize, 0usize);
    let (mut i, mut copied, mut want_key) = (0usize, 0usize, false);
    while i < b.len() {
        match b[i] {
            b'{' => {
                stack.push(Frame::Object(Cow::Borrowed("")));
                want_key = true;
            }
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
                want_key = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index += 1,
                Some(Frame::Object(_)) => want_key = true,
                None => {}
            },
            b'"' => {
                let Some(end) = string_end(b, i + 1) else { break };
                let inner = &text[i + 1..end];
                let is_key = std::mem::take(&mut want_key);
                let fixed = fix_string(inner, if is_key { usize::MAX } else { max });
                let written = fixed.as_ref().map_or(inner, |f| f.text.as_str());
                if is_key {
                    // The key names the values below it in paths; decode it only if escaped.
                    let key = if written.contains('\\') {
                        Cow::Owned(crate::json::unescape(written).unwrap_or_else(|_| written.to_string()))
                    } else {
                        Cow::Owned(written.to_string())
                    };
                    if let Some(f) = &fixed {
                        let at = || path_of(base, &stack[..stack.len().saturating_sub(1)], Some(&key));
                        nul.add(f.nul, at);
                        lone.add(f.lone_surrogates, at);
                    }
                    if let Some(Frame::Object(slot)) = stack.last_mut() {
                        *slot = key;
                    }
                } else if let Some(f) = &fixed {
                    let at = || path_of(base, &stack, None);
                    nul.add(f.nul, at);
                    lone.add(f.lone_surrogates, at);
                    if let Some((before, kept)) = f.cut {
                        if cut.first.is_none() {
                            cut_sizes = (before, kept);
                        }
                        cut.add(1, at);
                    }
                }
                if let Some(f) = fixed {
                    out.push_str(&text[copied..=i]);
                    out.push_str(&f.text);
                    copied = end;
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(&text[copied..]);

    let more = |count: usize, what: &str| {
        if count > 1 {
            format!(" ({count} {what} in {base})")
        } else {
            String::new()
        }
    };
    if let Some(path) = nul.first {
        let message = format!(
            "{path} had a NUL character (\\u0000), which PostgreSQL cannot store: replaced with U+FFFD{}",
            more(nul.count, "replaced")
        );
        report(path, Code::NulCharacter, message);
    }
    if let Some(path) = lone.first {
        let message = format!(
            "{path} had an unpaired UTF-16 surrogate escape: replaced with U+FFFD{}",
            more(lone.count, "replaced")
        );
        report(path, Code::LoneSurrogate, message);
    }
    if let Some(path) = cut.first {
        let message = format!(
            "{path} was {} bytes, over the limit of {max} bytes: cut to {} bytes and marked \"…[truncated N bytes]\"{}",
            cut_sizes.0,
            cut_sizes.1,
            more(cut.count, "strings cut")
        );
        report(path, Code::FieldTruncated, message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, max: usize) -> (String, Vec<(String, Code, String)>) {
        let mut found = Vec::new();
        let out = repair_value(text, "spans[3].attributes", max, &mut |p, c, m| found.push((p, c, m)));
        (out, found)
    }

    #[test]
    fn nul_and_lone_surrogates_become_replacement_characters_in_values_and_keys() {
        let (out, found) = run(r#"{"a":["x","y\u0000z"],"k\u0000":{"b":"\ud800"},"ok":"\ud83d\ude00"}"#, 1 << 20);
        assert_eq!(out, r#"{"a":["x","y\ufffdz"],"k\ufffd":{"b":"\ufffd"},"ok":"\ud83d\ude00"}"#);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed["k\u{fffd}"]["b"], "\u{fffd}");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].0, "spans[3].attributes.a[1]");
        assert_eq!(found[0].1, Code::NulCharacter);
        assert!(found[0].2.ends_with("(2 replaced in spans[3].attributes)"), "{}", found[0].2);
        assert_eq!(found[1].0, "spans[3].attributes[\"k\u{fffd}\"].b");
        assert_eq!(found[1].1, Code::LoneSurrogate);
    }

    #[test]
    fn a_long_string_is_cut_and_marked_within_the_limit() {
        let long = "é".repeat(1000); // 2000 bytes
        let (out, found) = run(&format!(r#"{{"input":"{long}","short":"x"}}"#), 1024);
        let parsed: serde_json::Value = serde_json::from_str(&out).unwrap();
        let input = parsed["input"].as_str().unwrap();
        assert!(input.len() <= 1024);
        assert!(input.starts_with("éé"));
        let kept = 1024 - MARKER_RESERVE;
        let kept = kept - kept % 2;
        assert!(input.ends_with(&format!("…[truncated {} bytes]", 2000 - kept)), "{input}");
        assert_eq!(parsed["short"], "x");
        assert_eq!(found[0].0, "spans[3].attributes.input");
        assert_eq!(found[0].1, Code::FieldTruncated);
    }

    #[test]
    fn the_cut_never_splits_an_escape_or_a_pair() {
        for pad in 0..16 {
            let inner = format!("{}{}", "a".repeat(1024 - MARKER_RESERVE - pad), r"\ud83d\ude00\u00e9\n".repeat(16));
            let fixed = fix_string(&inner, 1024).unwrap();
            let decoded: String = serde_json::from_str(&format!("\"{}\"", fixed.text)).unwrap();
            assert!(decoded.len() <= 1024);
            assert!(decoded.contains("[truncated"));
        }
    }
}
