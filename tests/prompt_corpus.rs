//! The prompt-template corpus shared by the core and the database.
//!
//! `tests/fixtures/prompt-corpus.json` lists templates (edge cases written by hand and
//! generated ones) with the variables and content hash the core computes. This test fails
//! when the file is not what the core computes now (rewrite it with
//! `NORTHSTAR_UPDATE_CORPUS=1 cargo test --test prompt_corpus`); the database's functions
//! are checked against the same file on PostgreSQL (supabase/tests/011_prompt_corpus_test.sql)
//! and on PGlite (supabase/functions/_shared/migrations_pglite_test.ts), and the wasm build
//! in Deno (core_test.ts).
#![cfg(not(target_arch = "wasm32"))]

use northstar_core::prompt::{content_hash, extract_variables};
use serde_json::{json, Value};

const EDGE_CASES: &[&str] = &[
    "",
    "no placeholders at all",
    "Hello {{ name }}, write {count} bullets for {{ topic }}.",
    "Summarize {{ doc }} in {max_words} words.",
    "{{x}}",
    "{{ x }}",
    "{{\tx\t}}",
    "{{\nx\r\n}}",
    "{{\u{b}x\u{c}}}",
    "{{{x}}}",
    "{{{{x}}}}",
    "{x}",
    "{ x }",
    "{{x}",
    "{x}}",
    "{{ x}",
    "{x }",
    "{ x}",
    "{{ x y }}",
    "{{ 1x }}",
    "{1x}",
    "{_}",
    "{__init__}",
    "{{ _private }}",
    "{a}{b}{c}",
    "{a}{{b}}{c}",
    "{{a}}{b}{{c}}",
    "{a}{a}{{a}}",
    "{{ café }}",
    "{café}",
    "{{\u{a0}x\u{a0}}}",
    "{ünï}",
    "émoji 😀 {x} 😀",
    "{{}}",
    "{}",
    "{",
    "}",
    "{{",
    "}}",
    "{{ }}",
    "{{x}}}",
    "{{{x}}",
    "{x{y}}",
    "{{x}{y}}",
    "{x}{",
    "}{x}{",
    "JSON like {\"a\": 1} and {b}",
    "f-string like {x!r} {y:>10} {z}",
    "jinja filters {{ x | upper }} {{ y }}",
    "jinja blocks {% if x %}{{ x }}{% endif %}",
    "nested {{ {x} }}",
    "multi\nline\n{{ a }}\n{b}\n",
    "A{B}C{{D}}E",
    "{Z}{a}{_}{A}",
];

/// A small deterministic generator (xorshift), so the corpus is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PIECES: &[&str] = &[
    "{", "}", "{{", "}}", " ", "\t", "\n", "a", "b", "_x", "name1", "1", "é", "{{ ", " }}", "x y", "\u{a0}", "{a}",
    "{{b}}", "text ", "{{{", "}}}", "Z", "{c}", "{{ d }}", "😀",
];

fn corpus() -> Vec<String> {
    let mut templates: Vec<String> = EDGE_CASES.iter().map(|s| s.to_string()).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..240 {
        let len = 1 + rng.below(12);
        templates.push((0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect());
    }
    templates
}

#[test]
fn corpus_fixture_is_what_the_core_computes() {
    let entries: Vec<Value> = corpus()
        .iter()
        .map(|t| json!({"template": t, "variables": extract_variables(t), "content_hash": content_hash(t)}))
        .collect();
    assert!(entries.len() >= 200);
    let text = serde_json::to_string_pretty(&entries).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/prompt-corpus.json");
    if std::env::var_os("NORTHSTAR_UPDATE_CORPUS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == text, "{path} is out of date: run NORTHSTAR_UPDATE_CORPUS=1 cargo test --test prompt_corpus");
}

#[test]
fn corpus_has_templates_with_and_without_variables() {
    let with = corpus().iter().filter(|t| !extract_variables(t).is_empty()).count();
    assert!(with > 100 && with < corpus().len(), "{with}");
}
