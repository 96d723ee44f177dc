//! One pass over the body: JSON syntax, the checks PostgreSQL's `jsonb` needs, and the
//! filing of every record field's raw text, all at once.
//!
//! This is a purpose-built reader rather than serde_json because of what the ingest path
//! needs: the body is read exactly once (strings are skimmed eight bytes at a time), no
//! tree is ever built for free-form values (metadata, attributes, content, …), and
//! every problem is known together with where it is. It checks:
//! - JSON syntax (RFC 8259), reported with line, column and the record field it was in;
//! - `\u0000` escapes and unpaired surrogate escapes, which `jsonb` refuses, and strings
//!   longer than the field limit: flagged on the value ([`Val::fix`]) for `src/repair.rs`
//!   (or, in strict mode, a violation), so only flagged values are ever read again;
//! - nesting depth, against `Limits::max_depth`;
//! - number literals PostgreSQL's `numeric` would overflow on.
//!
//! - UTF-8: bytes outside strings must be ASCII anyway, so only the non-ASCII characters
//!   met inside strings are checked, as the skim finds them (a body that fails here is
//!   re-checked by the caller with `std::str::from_utf8`, for the exact byte to report).
//!
//! Nothing here recurses on input depth: containers inside values are tracked with an
//! explicit stack, so no input can exhaust the call stack. A differential property test
//! (`tests/properties.rs`) holds this reader to serde_json's verdict on syntax.

use std::borrow::Cow;

/// Most fields any record kind has (spans: 12).
pub const MAX_FIELDS: usize = 12;
/// Unknown keys kept per record for reporting; more are counted.
const MAX_UNKNOWN_KEPT: usize = 8;

/// A value as sent: its raw JSON text and the first problem found inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Val<'a> {
    /// The exact JSON text of the value.
    pub text: &'a str,
    /// The first over-deep nesting or oversized number inside.
    pub problem: Option<Problem>,
    /// What inside may be repaired: [`FIX_NUL`], [`FIX_LONE_SURROGATE`], [`FIX_LONG`] bits.
    pub fix: u8,
    /// For a string: whether it holds escapes (so it must be decoded, not borrowed).
    pub escaped: bool,
}

impl<'a> Val<'a> {
    /// True for the literal `null`.
    pub fn is_null(&self) -> bool {
        self.text == "null"
    }

    /// The decoded string, `Ok(None)` when the value is not a string; NUL and unpaired
    /// surrogates are reported, never decoded.
    pub fn as_str(&self) -> Result<Option<Cow<'a, str>>, Problem> {
        if !self.text.starts_with('"') {
            return Ok(None);
        }
        if let Some(p) = self.char_problem() {
            return Err(p);
        }
        let inner = &self.text[1..self.text.len() - 1];
        if !self.escaped {
            return Ok(Some(Cow::Borrowed(inner)));
        }
        unescape(inner).map(|s| Some(Cow::Owned(s)))
    }
}

/// [`Val::fix`] bit: a `\u0000` escape inside.
pub const FIX_NUL: u8 = 1;
/// [`Val::fix`] bit: an unpaired surrogate escape inside.
pub const FIX_LONE_SURROGATE: u8 = 2;
/// [`Val::fix`] bit: a string value inside is longer (as written) than the field limit.
pub const FIX_LONG: u8 = 4;

impl Val<'_> {
    /// The character problem strict mode refuses: NUL first, then unpaired surrogates.
    pub fn char_problem(&self) -> Option<Problem> {
        if self.fix & FIX_NUL != 0 {
            Some(Problem::Nul)
        } else if self.fix & FIX_LONE_SURROGATE != 0 {
            Some(Problem::LoneSurrogate)
        } else {
            None
        }
    }
}

/// A record as sent: each known field's value in the slot of its name.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    /// Slot `i` holds the value of `names[i]`; a repeated key keeps its last value, as
    /// `JSON.parse` and PostgreSQL's `jsonb` do.
    pub slots: [Option<Val<'a>>; MAX_FIELDS],
    /// Keys the schema does not allow, decoded, in object order (`Err` for a key with an
    /// unpaired surrogate escape).
    pub unknown: Vec<Result<Cow<'a, str>, Problem>>,
    /// How many unknown keys there were in all.
    pub unknown_total: usize,
}

/// One element of an entity list.
// Records are stored inline on purpose: boxing each would cost an allocation per record.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Item<'a> {
    /// A JSON object, filed by field name.
    Object(Fields<'a>),
    /// Any other JSON value.
    NotObject,
}

/// The value of one entity-list key of the body.
#[derive(Debug)]
pub enum List<'a> {
    /// `null`: the same as `[]`.
    Null,
    /// An array and its elements (only as many as the record budget allowed), with the
    /// length of the array's text.
    Items(Vec<Item<'a>>, usize),
    /// Any other JSON value.
    NotArray,
}

/// The body as parsed.
#[derive(Debug)]
pub enum Body<'a> {
    /// A JSON object.
    Object(Box<TopLevel<'a>>),
    /// Any other JSON value.
    NotObject,
}

/// The six entity lists, in the contract's order.
pub const LIST_NAMES: [&str; 6] = ["sessions", "runs", "spans", "events", "prompt_links", "scores"];

/// The keys of the body object that matter; other keys are ignored, as upstream does.
#[derive(Debug, Default)]
pub struct TopLevel<'a> {
    /// `schema_version`, if present.
    pub schema_version: Option<Val<'a>>,
    /// The entity lists in [`LIST_NAMES`] order; `None` when the key is absent.
    pub lists: [Option<List<'a>>; 6],
    /// Records seen across all lists, including those past the budget.
    pub records_seen: usize,
}

/// What can be wrong inside a syntactically valid value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A `\u0000` escape: PostgreSQL text and jsonb cannot hold U+0000.
    Nul,
    /// A `\uD800`–`\uDFFF` escape without its partner.
    LoneSurrogate,
    /// Nested deeper than allowed.
    TooDeep,
    /// A number literal longer than [`MAX_NUMBER_CHARS`] or with an exponent beyond
    /// [`MAX_NUMBER_EXPONENT`]: PostgreSQL's `numeric` overflows on such values.
    NumberOutOfRange,
}

/// Longest number literal accepted.
pub const MAX_NUMBER_CHARS: usize = 1000;
/// Largest absolute decimal exponent accepted.
pub const MAX_NUMBER_EXPONENT: u32 = 10_000;

/// A JSON syntax error: what, where (byte offset), and in which field when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset into the body.
    pub offset: usize,
    /// The JSON path of the value being read, when inside a record.
    pub path: Option<String>,
}

impl SyntaxError {
    /// "`what` at line L column C" (1-based; columns count characters).
    pub fn describe(&self, text: &str) -> String {
        let before = text.get(..self.offset.min(text.len())).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("{} at line {line} column {column}", self.what)
    }
}

type Res<T> = Result<T, SyntaxError>;

/// Parses a body. On success the body is valid UTF-8, and `ascii` tells whether it was
/// all ASCII. A failure may also be invalid UTF-8: the caller checks that first.
///
/// `field_names[k]` lists the allowed keys of records in list `k`. At most
/// `max_records` records are kept; the rest are read and counted (in `records_seen`)
/// but not stored, so no body costs more memory than the budget allows.
pub fn parse_body<'a>(
    body: &'a [u8],
    field_names: &'static [&'static [&'static str]; 6],
    max_records: usize,
    max_depth: usize,
) -> Result<Parsed<'a>, SyntaxError> {
    parse_body_flagging_long(body, field_names, max_records, max_depth, usize::MAX)
}

/// [`parse_body`], also flagging ([`FIX_LONG`]) values holding a string whose text as
/// written is longer than `max_string` bytes (its decoded text is at most that long).
pub fn parse_body_flagging_long<'a>(
    body: &'a [u8],
    field_names: &'static [&'static [&'static str]; 6],
    max_records: usize,
    max_depth: usize,
    max_string: usize,
) -> Result<Parsed<'a>, SyntaxError> {
    let mut r =
        Reader { b: body, i: 0, max_depth, max_string, budget: max_records, seen: 0, stack: Vec::new(), ascii: true };
    r.ws();
    let body = if r.peek() == Some(b'{') {
        Body::Object(Box::new(r.top(field_names)?))
    } else {
        r.value(1)?;
        Body::NotObject
    };
    r.ws();
    if r.i != r.b.len() {
        return Err(r.err("trailing characters after the JSON value"));
    }
    let body = match body {
        Body::Object(mut top) => {
            top.records_seen = r.seen;
            Body::Object(top)
        }
        other => other,
    };
    Ok(Parsed { body, ascii: r.ascii })
}

/// A parsed body, and whether it was all ASCII.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The body.
    pub body: Body<'a>,
    /// True when the body had no non-ASCII byte (so every text cut from it is ASCII too).
    pub ascii: bool,
}

/// One member of a JSON object: its key decoded (what `jsonb` compares), and the raw
/// text of its key (inside the quotes, escapes kept) and of its value, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member<'t> {
    /// The key's decoded string.
    pub key: Cow<'t, str>,
    /// The key's text between its quotes, byte for byte.
    pub raw_key: &'t str,
    /// The value's text, byte for byte.
    pub value: &'t str,
}

/// Appends the members of the JSON object `text` to `out`, in order, repeated keys
/// included. Made for objects this reader already checked (a record's `metadata`,
/// `attributes`, …): nesting and number size are not limited again, and a key whose
/// escapes cannot be decoded keeps its raw text as its key.
pub fn object_members<'t>(text: &'t str, out: &mut Vec<Member<'t>>) -> Result<(), SyntaxError> {
    let mut r = Reader {
        b: text.as_bytes(),
        i: 0,
        max_depth: usize::MAX,
        max_string: usize::MAX,
        budget: 0,
        seen: 0,
        stack: Vec::new(),
        ascii: true,
    };
    r.ws();
    if r.peek() != Some(b'{') {
        return Err(r.err("expected an object"));
    }
    if !r.open(b'}') {
        loop {
            let (raw_key, escaped, problem) = r.key()?;
            let key = decoded_key(raw_key, escaped, problem).unwrap_or(Cow::Borrowed(raw_key));
            let value = r.value(0)?.text;
            out.push(Member { key, raw_key, value });
            if !r.more(b'}')? {
                break;
            }
        }
    }
    r.ws();
    if r.i != r.b.len() {
        return Err(r.err("trailing characters after the JSON value"));
    }
    Ok(())
}

/// Reads the body from `i` on.
///
/// Invariant: every byte before `i` is known to be part of valid UTF-8, and `i` is on a
/// character boundary: the reader only ever moves past ASCII bytes and past non-ASCII
/// characters it has checked (in [`Reader::string`]). [`Reader::str`] relies on it.
struct Reader<'a> {
    b: &'a [u8],
    i: usize,
    max_depth: usize,
    /// Longest string value (as written, without quotes) not flagged [`FIX_LONG`].
    max_string: usize,
    budget: usize,
    seen: usize,
    /// Open containers while skimming a value: true for objects.
    stack: Vec<bool>,
    /// No non-ASCII character met so far.
    ascii: bool,
}

/// Remembers the first problem of a value.
fn note(problem: &mut Option<Problem>, p: Problem) {
    if problem.is_none() {
        *problem = Some(p);
    }
}

impl<'a> Reader<'a> {
    /// The text of bytes `start..self.i`, which the reader has read.
    #[inline(always)]
    fn str(&self, start: usize) -> &'a str {
        let bytes = &self.b[start..self.i];
        debug_assert!(std::str::from_utf8(bytes).is_ok(), "the reader read past unchecked bytes");
        // SAFETY: by the reader's invariant, bytes before `i` are valid UTF-8 and `i` is a
        // character boundary; `start` is one too, since every caller took it from `i`
        // (or `i + 1` after an ASCII quote). The debug assertion checks this in tests.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    fn err(&self, what: &'static str) -> SyntaxError {
        SyntaxError { what, offset: self.i, path: None }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, byte: u8, what: &'static str) -> Res<()> {
        self.ws();
        if self.peek() == Some(byte) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    /// After an element of a container: `true` if another follows (a comma was read),
    /// `false` at the closing byte (consumed).
    fn more(&mut self, close: u8) -> Res<bool> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(false)
            }
            _ => Err(self.err(if close == b'}' { "expected ',' or '}'" } else { "expected ',' or ']'" })),
        }
    }

    /// Reads an opening `{` or `[` and reports whether the container is empty (then its
    /// closing byte is consumed too).
    fn open(&mut self, close: u8) -> bool {
        self.i += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Reads a key and its colon; returns the key's raw inner text, whether it has
    /// escapes, and its [`FIX_NUL`] / [`FIX_LONE_SURROGATE`] bits.
    fn key(&mut self) -> Res<(&'a str, bool, u8)> {
        self.ws();
        if self.peek() != Some(b'"') {
            return Err(self.err("expected a string key"));
        }
        let start = self.i + 1;
        let (escaped, problem) = self.string()?;
        let key = self.str(start);
        let key = &key[..key.len() - 1];
        self.expect(b':', "expected ':'")?;
        Ok((key, escaped, problem))
    }

    /// If the input continues with exactly `"name":`, reads it and returns true.
    #[inline]
    fn at_key(&mut self, name: &str) -> bool {
        let n = name.len();
        match self.b.get(self.i..self.i + n + 3) {
            Some(t) if t[0] == b'"' && t[n + 1] == b'"' && t[n + 2] == b':' && &t[1..n + 1] == name.as_bytes() => {
                self.i += n + 3;
                true
            }
            _ => false,
        }
    }

    fn top(&mut self, field_names: &'static [&'static [&'static str]; 6]) -> Res<TopLevel<'a>> {
        let mut top = TopLevel::default();
        if self.open(b'}') {
            return Ok(top);
        }
        loop {
            let (key, escaped, problem) = self.key()?;
            let key = decoded_key(key, escaped, problem);
            self.ws();
            match key.as_deref() {
                Ok("schema_version") => top.schema_version = Some(self.value(2)?),
                Ok(name) => match LIST_NAMES.iter().position(|n| *n == name) {
                    Some(k) => top.lists[k] = Some(self.list(field_names[k], LIST_NAMES[k])?),
                    None => {
                        self.value(2)?;
                    }
                },
                Err(_) => {
                    self.value(2)?;
                }
            }
            if !self.more(b'}')? {
                return Ok(top);
            }
        }
    }

    fn list(&mut self, names: &'static [&'static str], list: &'static str) -> Res<List<'a>> {
        let start = self.i;
        match self.peek() {
            Some(b'[') => {}
            Some(b'n') => {
                let v = self.value(2)?;
                return Ok(if v.is_null() { List::Null } else { List::NotArray });
            }
            _ => {
                self.value(2)?;
                return Ok(List::NotArray);
            }
        }
        let mut items = Vec::new();
        if self.open(b']') {
            return Ok(List::Items(items, self.i - start));
        }
        for index in 0.. {
            self.ws();
            self.seen += 1;
            let keep = self.budget > 0;
            let item = if self.peek() == Some(b'{') {
                // A syntax error inside names the record, and the field when known.
                let fields = self.record(names).map_err(|mut e| {
                    let at = crate::violation::At { array: list, index };
                    e.path = Some(match e.path.take() {
                        Some(key) => at.field(&key),
                        None => at.record(),
                    });
                    e
                })?;
                Item::Object(fields)
            } else {
                self.value(3)?;
                Item::NotObject
            };
            if keep {
                self.budget -= 1;
                items.push(item);
            }
            if !self.more(b']')? {
                break;
            }
        }
        Ok(List::Items(items, self.i - start))
    }

    fn record(&mut self, names: &'static [&'static str]) -> Res<Fields<'a>> {
        let mut fields = Fields::default();
        if self.open(b'}') {
            return Ok(fields);
        }
        // Records usually list their fields in the contract's order: try the field after
        // the last one first, matching its exact `"name":` text in place.
        let mut next = 0;
        loop {
            self.ws();
            let expected = names.get(next).copied().filter(|name| self.at_key(name));
            let (key, escaped, problem) = match expected {
                Some(name) => (name, false, 0),
                None => self.key()?,
            };
            self.ws();
            let slot = match expected {
                Some(_) => Some(next),
                None if escaped || problem != 0 => None,
                None => slot_of(names, key),
            };
            if let Some(s) = slot {
                next = s + 1;
            }
            match slot {
                Some(s) => {
                    fields.slots[s] = Some(self.value(3).map_err(|mut e| {
                        e.path.get_or_insert_with(|| key.to_string());
                        e
                    })?)
                }
                None => {
                    let decoded = decoded_key(key, escaped, problem);
                    let known = decoded.as_deref().ok().and_then(|k| slot_of(names, k));
                    let value = self.value(3)?;
                    match known {
                        Some(s) => fields.slots[s] = Some(value),
                        None => {
                            fields.unknown_total += 1;
                            if fields.unknown.len() < MAX_UNKNOWN_KEPT {
                                fields.unknown.push(decoded);
                            }
                        }
                    }
                }
            }
            if !self.more(b'}')? {
                return Ok(fields);
            }
        }
    }

    /// Reads any JSON value whose container is at nesting level `depth`, without
    /// recursion, noting the first problem inside it.
    fn value(&mut self, depth: usize) -> Res<Val<'a>> {
        self.ws();
        let start = self.i;
        // Most values are strings: read them without the container machinery.
        if self.peek() == Some(b'"') {
            let (escaped, mut fix) = self.string()?;
            if self.i - start - 2 > self.max_string {
                fix |= FIX_LONG;
            }
            return Ok(Val { text: self.str(start), problem: None, fix, escaped });
        }
        let mut problem = None;
        let mut fix = 0;
        let mut escaped = false;
        self.stack.clear();
        loop {
            // At the start of a value.
            self.ws();
            match self.peek() {
                Some(b'{') => {
                    if depth + self.stack.len() + 1 > self.max_depth {
                        note(&mut problem, Problem::TooDeep);
                    }
                    if self.open(b'}') {
                        // empty object: fall through to "after a value"
                    } else {
                        self.stack.push(true);
                        fix |= self.key()?.2;
                        continue;
                    }
                }
                Some(b'[') => {
                    if depth + self.stack.len() + 1 > self.max_depth {
                        note(&mut problem, Problem::TooDeep);
                    }
                    if !self.open(b']') {
                        self.stack.push(false);
                        continue;
                    }
                }
                Some(b'"') => {
                    let string_start = self.i;
                    let (e, f) = self.string()?;
                    escaped |= e;
                    fix |= f;
                    if self.i - string_start - 2 > self.max_string {
                        fix |= FIX_LONG;
                    }
                }
                Some(b'-' | b'0'..=b'9') => {
                    if let Some(p) = self.number()? {
                        note(&mut problem, p);
                    }
                }
                Some(b't') => self.literal("true")?,
                Some(b'f') => self.literal("false")?,
                Some(b'n') => self.literal("null")?,
                None => return Err(self.err("unexpected end of input, expected a value")),
                Some(_) => return Err(self.err("expected a value")),
            }
            // After a value: close containers or move to the next element.
            loop {
                let Some(&is_object) = self.stack.last() else {
                    return Ok(Val { text: self.str(start), problem, fix, escaped });
                };
                if self.more(if is_object { b'}' } else { b']' })? {
                    if is_object {
                        fix |= self.key()?.2;
                    }
                    break;
                }
                self.stack.pop();
            }
        }
    }

    fn literal(&mut self, word: &'static str) -> Res<()> {
        if self.b[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            Err(self.err("invalid literal"))
        }
    }

    /// Reads a number; its grammar is RFC 8259's. Returns a problem for literals
    /// PostgreSQL's `numeric` cannot take.
    fn number(&mut self) -> Res<Option<Problem>> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.err("invalid number: expected a digit after '.'"));
            }
            self.digits();
        }
        let mut exponent: u32 = 0;
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.err("invalid number: expected a digit in the exponent"));
            }
            while let Some(d @ b'0'..=b'9') = self.peek() {
                exponent = exponent.saturating_mul(10).saturating_add((d - b'0') as u32);
                self.i += 1;
            }
        }
        Ok((self.i - start > MAX_NUMBER_CHARS || exponent > MAX_NUMBER_EXPONENT).then_some(Problem::NumberOutOfRange))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
    }

    /// Reads a string from its opening quote; returns whether it has escapes and its
    /// [`FIX_NUL`] / [`FIX_LONE_SURROGATE`] bits. Plain stretches are skimmed sixteen bytes
    /// at a time.
    fn string(&mut self) -> Res<(bool, u8)> {
        self.i += 1;
        let b = self.b;
        let mut escaped = false;
        let mut problem = 0;
        loop {
            self.i += skim(&b[self.i..]);
            match b.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok((escaped, problem));
                }
                Some(b'\\') => {
                    escaped = true;
                    match b.get(self.i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 2,
                        Some(b'u') => {
                            let cp = self.hex4(self.i + 2)?;
                            self.i += 6;
                            if cp == 0 {
                                problem |= FIX_NUL;
                            } else if (0xD800..0xDC00).contains(&cp) {
                                let pair = b.get(self.i) == Some(&b'\\') && b.get(self.i + 1) == Some(&b'u');
                                let low = if pair { self.hex4(self.i + 2)? } else { 0 };
                                if (0xDC00..0xE000).contains(&low) {
                                    self.i += 6;
                                } else {
                                    problem |= FIX_LONE_SURROGATE;
                                }
                            } else if (0xDC00..0xE000).contains(&cp) {
                                problem |= FIX_LONE_SURROGATE;
                            }
                        }
                        _ => return Err(self.err("invalid escape in string")),
                    }
                }
                Some(c) if *c < 0x20 => return Err(self.err("control character in string")),
                Some(c) if *c >= 0x80 => {
                    self.ascii = false;
                    self.i += utf8_width(&b[self.i..]).ok_or_else(|| self.err("invalid UTF-8 in string"))?;
                }
                Some(_) => self.i += 1,
            }
        }
    }

    fn hex4(&self, at: usize) -> Res<u32> {
        let digits = self.b.get(at..at + 4).ok_or_else(|| self.err("unterminated \\u escape"))?;
        digits.iter().try_fold(0u32, |n, &d| {
            let v = (d as char).to_digit(16).ok_or_else(|| self.err("invalid \\u escape"))?;
            Ok(n * 16 + v)
        })
    }
}

/// The length of the UTF-8 character `rest` starts with (its first byte is not ASCII), or
/// `None` if it is not a valid one: the rules of RFC 3629, as `std::str::from_utf8`
/// applies them (no overlong forms, no surrogates, nothing above U+10FFFF).
#[inline]
fn utf8_width(rest: &[u8]) -> Option<usize> {
    let cont = |k: usize| rest.get(k).is_some_and(|&c| c & 0xC0 == 0x80);
    let second = |lo: u8, hi: u8| rest.get(1).is_some_and(|&c| (lo..=hi).contains(&c));
    match rest[0] {
        0xC2..=0xDF if cont(1) => Some(2),
        0xE0 if second(0xA0, 0xBF) && cont(2) => Some(3),
        0xE1..=0xEC | 0xEE..=0xEF if cont(1) && cont(2) => Some(3),
        0xED if second(0x80, 0x9F) && cont(2) => Some(3),
        0xF0 if second(0x90, 0xBF) && cont(2) && cont(3) => Some(4),
        0xF1..=0xF3 if cont(1) && cont(2) && cont(3) => Some(4),
        0xF4 if second(0x80, 0x8F) && cont(2) && cont(3) => Some(4),
        _ => None,
    }
}

/// How many plain ASCII string bytes (not `"`, `\`, a control character or a non-ASCII
/// byte) `rest` starts with,
/// looking sixteen bytes at a time with WebAssembly SIMD; a tail of fewer than sixteen
/// bytes is left to the caller.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[inline(always)]
pub(crate) fn skim(rest: &[u8]) -> usize {
    use core::arch::wasm32::{u64x2, u8x16_bitmask, u8x16_eq, u8x16_lt, u8x16_splat, v128_or};
    let (quote, backslash, space) = (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(0x20));
    let mut k = 0;
    while let Some(block) = rest.get(k..k + 16) {
        let (lo, hi) = block.split_at(8);
        let lo = u64::from_le_bytes(lo.try_into().unwrap_or([0; 8]));
        let hi = u64::from_le_bytes(hi.try_into().unwrap_or([0; 8]));
        let v = u64x2(lo, hi);
        // The bitmask takes each lane's top bit: set in the compare results, and in `v`
        // itself for non-ASCII bytes.
        let special = v128_or(v128_or(u8x16_eq(v, quote), u8x16_eq(v, backslash)), u8x16_lt(v, space));
        let hits = u8x16_bitmask(v128_or(special, v));
        if hits != 0 {
            return k + hits.trailing_zeros() as usize;
        }
        k += 16;
    }
    k
}

/// How many plain string bytes `rest` starts with, two 64-bit words at a time (SWAR);
/// a tail of fewer than sixteen bytes is left to the caller.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
pub(crate) fn skim(rest: &[u8]) -> usize {
    let mut k = 0;
    while let Some(block) = rest.get(k..k + 16) {
        let (lo, hi) = block.split_at(8);
        let lo = attention_mask(u64::from_le_bytes(lo.try_into().unwrap_or([0; 8])));
        let hi = attention_mask(u64::from_le_bytes(hi.try_into().unwrap_or([0; 8])));
        if lo | hi != 0 {
            return k + if lo != 0 { lo.trailing_zeros() / 8 } else { 8 + hi.trailing_zeros() / 8 } as usize;
        }
        k += 16;
    }
    k
}

/// The high bit of each byte of the word that is `"`, `\`, a control character (< 0x20) or
/// not ASCII. Only the lowest flagged byte is exact (a borrow can flag the bytes above it).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn attention_mask(w: u64) -> u64 {
    use crate::formats::{HIGH, ONES};
    let quote = w ^ (ONES * b'"' as u64);
    let backslash = w ^ (ONES * b'\\' as u64);
    // Bytes below 0x20 and bytes equal to zero after the XORs: the classic has-zero and
    // has-less-than tests, exact as booleans for these constants. Bytes ≥ 0x80 are
    // masked out of the control test by `!w`.
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
    zero(quote) | zero(backslash) | control | (w & HIGH)
}

/// The slot of a field name. Names are short, so a plain byte loop beats calling memcmp.
#[inline]
fn slot_of(names: &[&str], key: &str) -> Option<usize> {
    let key = key.as_bytes();
    names.iter().position(|n| {
        let n = n.as_bytes();
        n.len() == key.len() && n.iter().zip(key).all(|(a, b)| a == b)
    })
}

/// Decodes a key's inner text; `Err` for an unpaired surrogate.
fn decoded_key(raw: &str, escaped: bool, fix: u8) -> Result<Cow<'_, str>, Problem> {
    match fix {
        _ if fix & FIX_LONE_SURROGATE != 0 => Err(Problem::LoneSurrogate),
        _ if !escaped => Ok(Cow::Borrowed(raw)),
        _ => unescape(raw).map(Cow::Owned),
    }
}

/// Decodes the escapes of a string's inner text (already checked for syntax). The text
/// between escapes is copied a run at a time.
pub fn unescape(inner: &str) -> Result<String, Problem> {
    let mut out = String::with_capacity(inner.len());
    let hex = |at: usize| inner.get(at..at + 4).and_then(|h| u32::from_str_radix(h, 16).ok());
    let mut i = 0;
    while let Some(k) = inner[i..].find('\\') {
        let at = i + k;
        out.push_str(&inner[i..at]);
        let Some(e) = inner[at + 1..].chars().next() else { return Ok(out) };
        i = at + 1 + e.len_utf8();
        let decoded = match e {
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let cp = hex(at + 2).ok_or(Problem::LoneSurrogate)?;
                i = at + 6;
                if (0xD800..0xDC00).contains(&cp) {
                    let low = if inner.get(at + 6..at + 8) == Some("\\u") { hex(at + 8) } else { None };
                    let low = low.filter(|l| (0xDC00..0xE000).contains(l)).ok_or(Problem::LoneSurrogate)?;
                    i = at + 12;
                    char::from_u32(0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)).ok_or(Problem::LoneSurrogate)?
                } else {
                    char::from_u32(cp).ok_or(Problem::LoneSurrogate)?
                }
            }
            other => other,
        };
        out.push(decoded);
    }
    out.push_str(&inner[i..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&[&str]; 6] = [&["id"], &["id"], &["id", "x"], &["id"], &["id"], &["id"]];

    /// Reads one value at the top with a depth limit of 8.
    fn one(text: &str) -> Val<'_> {
        let mut r = Reader {
            b: text.as_bytes(),
            i: 0,
            max_depth: 8,
            max_string: 16,
            budget: 0,
            seen: 0,
            stack: Vec::new(),
            ascii: true,
        };
        let v = r.value(0).unwrap();
        r.ws();
        assert_eq!(r.i, text.len(), "whole text read");
        v
    }

    #[test]
    fn object_members_are_raw_slices_with_decoded_keys() {
        let text = r#" { "a" : 1e400 , "\u0061":[1, {"x": -0}], "b\"c": "\u00e9" ,"a":{} } "#;
        let mut members = Vec::new();
        object_members(text, &mut members).unwrap();
        let seen: Vec<(&str, &str, &str)> = members.iter().map(|m| (m.key.as_ref(), m.raw_key, m.value)).collect();
        assert_eq!(
            seen,
            vec![
                ("a", "a", "1e400"),
                ("a", "\\u0061", "[1, {\"x\": -0}]"),
                ("b\"c", "b\\\"c", "\"\\u00e9\""),
                ("a", "a", "{}")
            ]
        );
        members.clear();
        object_members("{ }", &mut members).unwrap();
        assert!(members.is_empty());
        assert!(object_members("[1]", &mut members).is_err());
        assert!(object_members("{\"a\":1} x", &mut members).is_err());
    }

    #[test]
    fn values_keep_their_exact_text() {
        assert_eq!(
            one(r#"[1, -2.5e3, "x\"y\\", true, null, {"a": {}}]"#).text,
            r#"[1, -2.5e3, "x\"y\\", true, null, {"a": {}}]"#
        );
        assert_eq!(one("  \"a\"  ").text, "\"a\"");
    }

    #[test]
    fn problems_are_noted_not_fatal() {
        assert_eq!(one(r#"{"a":"x\u0000"}"#).fix, FIX_NUL);
        assert_eq!(one(r#"{"a\u0000":1}"#).fix, FIX_NUL);
        assert_eq!(one(r#"["\\u0000"]"#).fix, 0);
        assert_eq!(one(r#"["\ud800"]"#).fix, FIX_LONE_SURROGATE);
        assert_eq!(one(r#"["\udc00\ud800"]"#).fix, FIX_LONE_SURROGATE);
        assert_eq!(one(r#"["\ud800\u0041", "\u0000"]"#).fix, FIX_LONE_SURROGATE | FIX_NUL);
        assert_eq!(one(r#"["\uD83D\uDE00abc"]"#).fix, 0);
        assert_eq!(one(r#"["\uD83D\uDE00 and long enough"]"#).fix, FIX_LONG);
        assert_eq!(one(r#""exactly sixteen!""#).fix, 0);
        assert_eq!(one(r#""seventeen bytes!!""#).fix, FIX_LONG);
        assert_eq!(one(r#"{"a key longer than sixteen": 1}"#).fix, 0, "keys are never cut");
        assert_eq!(one("[1e10000, 1E-10000]").problem, None);
        assert_eq!(one("[1e10001]").problem, Some(Problem::NumberOutOfRange));
        assert_eq!(one(&format!("[{}]", "9".repeat(1001))).problem, Some(Problem::NumberOutOfRange));
        assert_eq!(one("[[[[[[[[]]]]]]]]").problem, None);
        assert_eq!(one("[[[[[[[[[]]]]]]]]]").problem, Some(Problem::TooDeep));
    }

    #[test]
    fn syntax_errors_are_found() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "[01]",
            "[1.]",
            "[.5]",
            "[1e]",
            "[-]",
            "[tru]",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"a\u{1}\"",
            "{1:2}",
            "{\"a\" 1}",
            "[1 2]",
            "{} {}",
            "[",
            "]",
            "nul",
        ] {
            assert!(parse_body(bad.as_bytes(), &NAMES, 10, 128).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn body_is_filed_by_field_and_records_past_the_budget_are_counted() {
        let text = r#"{"schema_version":2,"x":{"deep":[1]},"spans":[{"id":1,"zz":2,"id":3},5,{"a":1}],"runs":null,"events":{}}"#;
        let Body::Object(top) = parse_body(text.as_bytes(), &NAMES, 2, 128).unwrap().body else { panic!("object") };
        assert_eq!(top.schema_version.unwrap().text, "2");
        assert!(matches!(top.lists[1], Some(List::Null)));
        assert!(matches!(top.lists[3], Some(List::NotArray)));
        assert!(top.lists[0].is_none());
        let Some(List::Items(items, _)) = &top.lists[2] else { panic!("items") };
        assert_eq!(items.len(), 2, "third record is past the budget of 2");
        assert_eq!(top.records_seen, 3);
        let Item::Object(f) = &items[0] else { panic!("object") };
        assert_eq!(f.slots[0].unwrap().text, "3", "last duplicate key wins");
        assert_eq!(f.unknown, vec![Ok(Cow::Borrowed("zz"))]);
        assert!(matches!(items[1], Item::NotObject));
    }

    #[test]
    fn escaped_keys_are_decoded_and_lone_surrogate_keys_reported() {
        let text = r#"{"spans":[{"\u0069d":"a","a\ud800":1,"\u0078":2}]}"#;
        let Body::Object(top) = parse_body(text.as_bytes(), &NAMES, 10, 128).unwrap().body else { panic!() };
        let Some(List::Items(items, _)) = &top.lists[2] else { panic!() };
        let Item::Object(f) = &items[0] else { panic!() };
        assert_eq!(f.slots[0].unwrap().text, "\"a\"");
        assert_eq!(f.slots[1].unwrap().text, "2");
        assert_eq!(f.unknown, vec![Err(Problem::LoneSurrogate)]);
    }

    #[test]
    fn syntax_errors_know_their_field() {
        let text = "{\"spans\":[{\"id\":\"a\"},\n{\"id\": [1,}]}";
        let e = parse_body(text.as_bytes(), &NAMES, 10, 128).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("spans[1].id"));
        assert_eq!(e.describe(text), "expected a value at line 2 column 11");
        let text = "{\"spans\":[{\"id\":\"a\"},{\"id\" 1}]}";
        let e = parse_body(text.as_bytes(), &NAMES, 10, 128).unwrap_err();
        assert_eq!(e.path.as_deref(), Some("spans[1]"));
    }

    #[test]
    fn very_deep_input_is_read_without_recursion() {
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(500_000), "]".repeat(500_000));
        assert!(parse_body(deep.as_bytes(), &NAMES, 10, 128).is_ok());
        let deep_list = format!("{{\"spans\":[{}{}]}}", "[".repeat(500_000), "]".repeat(500_000));
        assert!(parse_body(deep_list.as_bytes(), &NAMES, 10, 128).is_ok());
        assert!(parse_body("[".repeat(500_000).as_bytes(), &NAMES, 10, 128).is_err());
    }

    #[test]
    fn unescape_decodes_everything_json_allows() {
        assert_eq!(unescape(r#"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"#).unwrap(), "a\"\\/\u{8}\u{c}\n\r\té😀");
        assert_eq!(unescape(r#"\ud800"#), Err(Problem::LoneSurrogate));
    }

    #[test]
    fn skim_stops_at_the_first_byte_that_matters() {
        let text = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";
        assert_eq!(skim(text), 48, "tail under 16 bytes is left");
        for at in 0..40 {
            for byte in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                let mut t = text.to_vec();
                t[at] = byte;
                assert_eq!(skim(&t), at, "byte {byte:#x} at {at}");
            }
            let mut t = text.to_vec();
            t[at] = 0xC3; // non-ASCII bytes stop it too, to be checked as UTF-8
            assert_eq!(skim(&t), at);
        }
    }

    #[test]
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    fn word_mask_finds_exactly_the_first_byte_that_matters() {
        for byte in 0u8..=255 {
            for at in 0..8 {
                let mut bytes = [b'a', b' ', b'~', 0x7f, b'!', b'z', b'd', b'{'];
                bytes[at] = byte;
                let mask = attention_mask(u64::from_le_bytes(bytes));
                let expected = byte == b'"' || byte == b'\\' || !(0x20..0x80).contains(&byte);
                if expected {
                    assert_eq!(mask.trailing_zeros() / 8, at as u32, "byte {byte:#x} at {at}");
                } else {
                    assert_eq!(mask, 0, "byte {byte:#x} at {at}");
                }
            }
        }
    }
}
