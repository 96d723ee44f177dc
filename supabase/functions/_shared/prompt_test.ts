import assert from "node:assert/strict";
import { content_hash, extract_variables, render, variables_schema } from "./core.ts";
// Imported, not read: a module import needs no permission, so plain `deno test` runs this.
import corpusJson from "../../../tests/fixtures/prompt-corpus.json" with { type: "json" };

const corpus: { template: string; variables: string[]; content_hash: string }[] = corpusJson;

Deno.test("the wasm build computes the shared corpus exactly as the native core", () => {
  assert.ok(corpus.length >= 200);
  for (const [i, entry] of corpus.entries()) {
    assert.deepEqual(extract_variables(entry.template), entry.variables, `corpus #${i + 1}`);
    assert.equal(content_hash(entry.template), entry.content_hash, `corpus #${i + 1} hash`);
  }
});

Deno.test("variables_schema describes every variable as a required string", () => {
  assert.deepEqual(variables_schema("Hello {{ name }}, write {count} bullets."), [
    { name: "count", type: "string", required: true, default: null },
    { name: "name", type: "string", required: true, default: null },
  ]);
  assert.deepEqual(variables_schema("nothing here"), []);
});

Deno.test("edge cases of braces", () => {
  assert.deepEqual(extract_variables("{{{x}}}"), ["x"]);
  assert.deepEqual(extract_variables("{ x } {{x} {x}} {{ café }}"), []);
  assert.deepEqual(extract_variables("{{\tx\n}} {_a1}"), ["_a1", "x"]);
});

Deno.test("render substitutes once, never expanding values again", () => {
  const out = render("Summarize {{ doc }} in {max_words} words. {{{tag}}}", {
    doc: "{max_words} {{ doc }}",
    max_words: 120,
    tag: "b",
  });
  assert.equal(out, "Summarize {max_words} {{ doc }} in 120 words. {b}");
  assert.equal(render("{o} {t}", { o: { k: [1, null] }, t: true }), '{"k":[1,null]} true');
  assert.equal(render("{ x } stays", {}), "{ x } stays");
});

Deno.test("render names the missing variables, sorted", () => {
  assert.throws(() => render("{{ z }} {a} {m}", { m: "x", a: null }), { message: "Missing prompt variables: a, z" });
  assert.throws(() => render("{a}", "nope" as never), /variables must be an object/);
});

Deno.test("content_hash is sha256: + hex of the UTF-8 bytes", async () => {
  const text = "Summarize {{ doc }} — é😀";
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(content_hash(text), `sha256:${hex}`);
});
