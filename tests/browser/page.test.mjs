// The web page (web/index.html) imports pkg/ as an ES module in real headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core), validates ingest payloads and
// extracts a template's variables. Run by scripts/test.sh with Node's test runner.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { chromium } = createRequire(join(root, ".tools/browser/"))("playwright-core");
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };

let server, browser, page, base;

before(async () => {
  // A static file server for the repository, on loopback only.
  server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${base}/web/index.html`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15000 }).catch(() => {
    throw new Error(`page did not load the module: ${errors.join("; ")}`);
  });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("a valid batch (the contract's example A) is accepted in the browser", async () => {
  const example = await readFile(join(root, "tests/fixtures/example-a.json"), "utf8");
  await page.fill("#payload", example);
  await page.click("#validate");
  const verdict = await page.textContent("#verdict");
  assert.equal(verdict, 'accepted: {"sessions":1,"runs":1,"spans":3,"events":3,"prompt_links":0,"scores":0}');
  assert.equal(await page.getAttribute("#verdict", "class"), "ok");
});

test("a bad batch is refused with every violation and its path", async () => {
  const bad = JSON.stringify({ schema_version: 2, spans: [{ id: "nope", kind: "llm" }], events: [{ type: "x" }] });
  await page.fill("#payload", bad);
  await page.click("#validate");
  const verdict = await page.textContent("#verdict");
  assert.match(verdict, /^refused \(HTTP 400\): spans\[0\]\.id is not a valid UUID\n/);
  assert.match(verdict, /spans\[0\]\.kind \[invalid_enum\] spans\[0\]\.kind must be one of: agent, workflow, model, tool, custom/);
  assert.match(verdict, /events\[0\]\.created_at \[invalid_timestamp\]/);
});

test("a template's variables and content hash are computed in the browser", async () => {
  await page.fill("#template", "Hello {{ name }}, write {count} bullets for {{ topic }}. {{{x}}} { y }");
  await page.click("#extract");
  const out = JSON.parse(await page.textContent("#variables"));
  assert.deepEqual(out.variables, ["count", "name", "topic", "x"]);
  assert.match(out.content_hash, /^sha256:[0-9a-f]{64}$/);
});
