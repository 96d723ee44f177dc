// The trace viewer (web/viewer/, served by scripts/serve.ts with its read API) in real headless
// Chromium, driven by playwright-core. The local server runs on a temporary PGlite data
// directory on a free port; traces reach it over HTTP through the ingest endpoint, as an
// agent's would. Run by scripts/test.sh with Node's test runner.
//
// Screenshots of the pages go to $NS_SCREENSHOTS (default: a temporary directory), printed
// at the end; the 5,000-span render and scroll timings are printed too.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const { chromium } = createRequire(join(root, ".tools/browser/"))("playwright-core");
const DENO = join(root, ".tools/npm/node_modules/.bin/deno");
const DENO_FLAGS = ["run", "--frozen", "--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"];

let dir, shots, server, browser, context, page, seeded;

/** Starts scripts/serve.ts on `data`, port 0; resolves with what it printed. */
function startServer(data) {
  const child = spawn(DENO, [...DENO_FLAGS, "scripts/serve.ts", "--port", "0", "--data", data], {
    cwd: root,
    env: { ...process.env, SUPABASE_DB_URL: "", NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start in 120 s:\n${out}`)), 120_000);
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${out}`)));
    child.stdout.on("data", (chunk) => {
      out += chunk;
      if (!out.includes("Rotate the key")) return;
      clearTimeout(timer);
      const viewer = out.match(/viewer: +(http:\/\/127\.0\.0\.1:\d+\/\?token=([A-Za-z0-9_-]+))/);
      const ingest = out.match(/ingest: +(http:\/\/127\.0\.0\.1:(\d+)\/functions\/v1\/ingest-traces)/);
      const key = out.match(/API key: (ns_[A-Za-z0-9_-]+)/)?.[1];
      const project = out.match(/project: ([0-9a-f-]{36})/)?.[1];
      assert.ok(viewer && ingest && key && project, out);
      resolve({
        out,
        viewerUrl: viewer[1],
        token: viewer[2],
        ingestUrl: ingest[1],
        base: `http://127.0.0.1:${ingest[2]}`,
        key,
        project,
        stop: () =>
          new Promise((done) => {
            child.removeAllListeners("exit");
            child.on("exit", done);
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${out}`))));
  });
}

/** Sends a batch to the ingest endpoint; it must be accepted. */
async function ingest(batch) {
  const response = await fetch(server.ingestUrl, {
    method: "POST",
    headers: { authorization: `Bearer ${server.key}`, "content-type": "application/json" },
    body: typeof batch === "string" ? batch : JSON.stringify(batch),
  });
  const body = await response.text();
  assert.equal(response.status, 200, body);
}

const uuid = () => crypto.randomUUID();
const BASE_MS = Date.now() - 3_600_000;
const at = (ms) => new Date(BASE_MS + ms).toISOString();

// A checkout agent: nested spans (agent → workflow → model, tool → custom), an error span,
// events of every shape, scores of the three types, a prompt link, and hostile text.
const S2 = uuid();
const R2 = uuid();
const SPAN = { root: uuid(), iter: uuid(), model: uuid(), tool: uuid(), retry: uuid() };
// Hostile text, in a trace of its own: a run, a span, an attribute and an event.
const S_XSS = uuid();
const R_XSS = uuid();
const XSS_SPAN = uuid();
const XSS_RUN = `<script>globalThis.__xss=5</script>`;
const XSS_NAME = `<img src=x onerror="globalThis.__xss=1">`;
const XSS_KEY = `<b onmouseover="globalThis.__xss=4">key</b>`;
const XSS_CONTENT = `<script>globalThis.__xss=2</script><img src=x onerror="globalThis.__xss=3">`;
const TOOL_ARGS = { card: "visa-4242", amount: 59.9, items: [{ sku: "shoe-blue-42", qty: 1 }] };
const ASSISTANT = { role: "assistant", content: "Calling charge-card", tool_calls: [{ name: "charge-card", id: "call_1" }] };
const LONG_SYSTEM = Array.from({ length: 40 }, (_, i) => `Rule ${i + 1}: be careful with payments and never retry twice.`)
  .join("\n");
const VARIABLES = { doc: "order #1234", max_words: 50 };

function checkoutBatch(prompt) {
  const span = (id, parent, kind, name, from, to, extra = {}) => ({
    id,
    run_id: R2,
    parent_span_id: parent,
    kind,
    name,
    started_at: at(from),
    ended_at: at(to),
    status: "ok",
    attributes: {},
    ...extra,
  });
  const event = (span_id, type, ms, content) => ({ id: uuid(), run_id: R2, span_id, type, created_at: at(ms), content });
  return {
    schema_version: 2,
    sessions: [{ id: S2, created_at: at(0), ended_at: at(1000) }],
    runs: [{
      id: R2,
      session_id: S2,
      name: "checkout-agent",
      started_at: at(0),
      ended_at: at(950),
      status: "error",
      error: { type: "ToolError", message: "payment tool failed" },
      metadata: { cost_usd: 0.0042, total_input_tokens: 1200, total_output_tokens: 340 },
    }],
    spans: [
      span(SPAN.root, null, "agent", "plan-and-act", 5, 900),
      span(SPAN.iter, SPAN.root, "workflow", "iteration-1", 10, 800, { iteration: 1 }),
      span(SPAN.model, SPAN.iter, "model", "chat.completions", 20, 300, {
        attributes: { model: "gpt-4o-mini", input_tokens: 1200, output_tokens: 340, cost_usd: 0.0042 },
      }),
      span(SPAN.tool, SPAN.iter, "tool", "charge-card", 310, 700, {
        status: "error",
        error: { type: "PaymentDeclined", message: "card declined", code: 402 },
        attributes: { tool_type: "http", endpoint: "https://pay.example/charge" },
      }),
      span(SPAN.retry, SPAN.tool, "custom", "retry-policy", 320, 330),
    ],
    events: [
      event(null, "user_input", 1, "Buy the blue shoes"),
      event(SPAN.model, "system_message", 21, LONG_SYSTEM),
      event(SPAN.model, "assistant_message", 290, ASSISTANT),
      event(SPAN.tool, "tool_arguments", 311, TOOL_ARGS),
      event(SPAN.tool, "tool_result", 699, { status: "declined" }),
    ],
    scores: [
      { id: uuid(), trace_id: R2, name: "helpfulness", value: 0.75, data_type: "numeric", source: "api", comment: "good", created_at: at(960) },
      { id: uuid(), trace_id: R2, span_id: SPAN.tool, name: "verdict", value: 0, data_type: "categorical", string_value: "needs-work", source: "api", created_at: at(961) },
      { id: uuid(), trace_id: R2, span_id: SPAN.tool, name: "declined_handled", value: 1, data_type: "boolean", source: "api", created_at: at(962) },
    ],
    prompt_links: [{ trace_id: R2, span_id: SPAN.model, prompt_version_id: prompt.v2, variable_values: VARIABLES }],
  };
}

function hostileBatch() {
  return {
    schema_version: 2,
    sessions: [{ id: S_XSS, created_at: at(-120_000) }],
    runs: [{ id: R_XSS, session_id: S_XSS, name: XSS_RUN, started_at: at(-120_000), status: "ok" }],
    spans: [{
      id: XSS_SPAN,
      run_id: R_XSS,
      kind: "custom",
      name: XSS_NAME,
      started_at: at(-119_990),
      ended_at: at(-119_900),
      status: "ok",
      attributes: { [XSS_KEY]: XSS_CONTENT },
    }],
    events: [{ id: uuid(), run_id: R_XSS, span_id: XSS_SPAN, type: "custom", created_at: at(-119_950), content: XSS_CONTENT }],
  };
}

// 5,000 spans in one trace: a root, iterations, and their model and tool calls (some failing).
const S_BIG = uuid();
const R_BIG = uuid();
const BIG_SPANS = 5000;
let lastBigSpan, bigToolCount, bigIterationCount;
function bigBatch() {
  const spans = [];
  const root = uuid();
  spans.push({ id: root, run_id: R_BIG, kind: "agent", name: "long-agent", started_at: at(-60_000), ended_at: at(-60_000 + BIG_SPANS * 10), status: "ok" });
  let iteration = null;
  for (let i = 1; spans.length < BIG_SPANS; i++) {
    const t = -60_000 + i * 10;
    if (i % 50 === 1) {
      iteration = uuid();
      spans.push({ id: iteration, run_id: R_BIG, parent_span_id: root, kind: "workflow", name: `iteration-${Math.ceil(i / 50)}`, started_at: at(t), ended_at: at(t + 495), status: "ok" });
      continue;
    }
    const failing = i % 97 === 0;
    spans.push({
      id: uuid(),
      run_id: R_BIG,
      parent_span_id: iteration,
      kind: i % 2 ? "model" : "tool",
      name: `${i % 2 ? "llm" : "tool"}-call-${i}`,
      started_at: at(t),
      ended_at: at(t + 8),
      status: failing ? "error" : "ok",
      ...(failing ? { error: { type: "Timeout", message: `call ${i} timed out` } } : {}),
      attributes: { step: i },
    });
  }
  lastBigSpan = spans[spans.length - 1];
  bigToolCount = spans.filter((s) => s.kind === "tool").length;
  bigIterationCount = spans.filter((s) => s.name.startsWith("iteration-")).length;
  return {
    schema_version: 2,
    sessions: [{ id: S_BIG, created_at: at(-60_000), ended_at: at(-60_000 + BIG_SPANS * 10) }],
    runs: [{ id: R_BIG, session_id: S_BIG, name: "long-agent", started_at: at(-60_000), ended_at: at(-60_000 + BIG_SPANS * 10), status: "ok" }],
    spans,
  };
}

const EXAMPLE_SESSION = "0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "northstar-viewer-"));
  shots = process.env.NS_SCREENSHOTS ?? join(dir, "screenshots");
  await mkdir(shots, { recursive: true });
  const data = join(dir, "pglite");
  // First start: migrations, project and key. Then prompts are seeded with the server stopped.
  server = await startServer(data);
  const project = server.project;
  await server.stop();
  seeded = JSON.parse(await run(DENO, [...DENO_FLAGS, "tests/browser/seed_prompts.ts", data, project]));
  server = await startServer(data);

  await ingest(await readFile(join(root, "tests/fixtures/example-a.json"), "utf8"));
  await ingest(checkoutBatch(seeded));
  await ingest(hostileBatch());
  await ingest(bigBatch());

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("dialog", (d) => d.dismiss());
  // The printed URL trades its token for a cookie and drops it from the address bar.
  await page.goto(server.viewerUrl);
  assert.equal(page.url(), `${server.base}/`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (dir && !process.env.NS_SCREENSHOTS) {
    // Keep the screenshots; the database and the server's state file (its API key) go.
    await rm(join(dir, "pglite"), { recursive: true, force: true });
    await rm(join(dir, "pglite.json"), { force: true });
  }
  console.log(`screenshots: ${shots}`);
});

/** Navigates inside the viewer and waits until the page has its data. */
async function show(hash, view) {
  await page.evaluate((h) => (location.hash = h), hash);
  await page.waitForSelector(`body[data-view="${view}"][data-state="ready"]`, { timeout: 20_000 });
}

test("the read API answers only with the viewer token, and never with CORS headers", async () => {
  const api = `${server.base}/api/sessions`;
  const none = await fetch(api);
  assert.equal(none.status, 401);
  assert.match((await none.json()).error, /token/);
  const wrong = await fetch(api, { headers: { authorization: "Bearer wrong-token" } });
  assert.equal(wrong.status, 401);
  await wrong.body.cancel();
  const badCookie = await fetch(api, { headers: { cookie: `northstar_viewer_${new URL(server.base).port}=nope` } });
  assert.equal(badCookie.status, 401);
  await badCookie.body.cancel();
  const good = await fetch(api, { headers: { authorization: `Bearer ${server.token}`, origin: "https://evil.example" } });
  assert.equal(good.status, 200);
  assert.ok(Array.isArray(await good.json()));
  for (const r of [none, wrong, good]) {
    for (const [name] of r.headers) assert.doesNotMatch(name, /^access-control-/, `${name} on ${r.status}`);
  }
  const preflight = await fetch(api, {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
  });
  assert.equal(preflight.status, 405);
  assert.equal(preflight.headers.get("access-control-allow-origin"), null);
  await preflight.body.cancel();
  const badId = await fetch(`${server.base}/api/traces/not-a-uuid`, { headers: { authorization: `Bearer ${server.token}` } });
  assert.equal(badId.status, 400);
  assert.equal((await badId.json()).errors[0].path, "trace_id");
  const wrongPageToken = await fetch(`${server.base}/?token=wrong`, { redirect: "manual" });
  assert.equal(wrongPageToken.status, 401);
  await wrongPageToken.body.cancel();

  // A browser without the token sees the page shell, no data, and how to get in.
  const stranger = await browser.newPage();
  await stranger.goto(`${server.base}/`);
  await stranger.waitForSelector("#unauthorized", { timeout: 15_000 });
  assert.equal(await stranger.locator("#sessions tr").count(), 0);
  await stranger.close();
});

test("sessions: newest first, with trace count, tool calls, errors, cost and tokens as stored", async () => {
  await show("#/", "sessions");
  const ids = await page.$$eval("#sessions tr", (rows) => rows.map((r) => r.dataset.sessionId));
  assert.deepEqual(ids.slice(0, 4), [S2, S_BIG, S_XSS, EXAMPLE_SESSION]);
  const cells = (id) =>
    page.$$eval(`#sessions tr[data-session-id="${id}"] td[data-col]`, (tds) =>
      Object.fromEntries(tds.map((td) => [td.dataset.col, td.textContent])));
  assert.deepEqual(await cells(EXAMPLE_SESSION), {
    traces: "1",
    tools: "1",
    errors: "0",
    cost: "$0.00125",
    tokens: "100 in · 25 out",
  });
  assert.deepEqual(await cells(S2), { traces: "1", tools: "1", errors: "1", cost: "$0.0042", tokens: "1,200 in · 340 out" });
  assert.deepEqual(await cells(S_BIG), { traces: "1", tools: bigToolCount.toLocaleString("en-US"), errors: "0", cost: "$0", tokens: "0 in · 0 out" });
  await page.screenshot({ path: join(shots, "viewer-sessions.png") });
});

test("a session lists its traces; a trace shows nested spans, the error span, events, scores and prompt links", async () => {
  await show(`#/sessions/${S2}`, "session");
  assert.equal(await page.textContent(`#traces tr[data-trace-id="${R2}"] a`), "checkout-agent");
  assert.match(await page.textContent(`#traces tr[data-trace-id="${R2}"]`), /ToolError: payment tool failed/);
  await page.screenshot({ path: join(shots, "viewer-session.png") });

  await page.click(`#traces tr[data-trace-id="${R2}"] a`);
  await page.waitForSelector(`body[data-view="trace"][data-state="ready"]`);
  const depth = async (id) => Number(await page.getAttribute(`.wf-row[data-span-id="${id}"]`, "data-depth"));
  assert.deepEqual(
    await Promise.all(Object.values(SPAN).map(depth)),
    [0, 1, 2, 2, 3],
    "root → iteration → (model, tool → retry)",
  );
  // Depth-first order on the time axis: the rows in the DOM follow the tree.
  const order = await page.$$eval(".wf-row:not([hidden])", (rows) =>
    rows.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map((r) => r.dataset.spanId));
  assert.deepEqual(order, [SPAN.root, SPAN.iter, SPAN.model, SPAN.tool, SPAN.retry]);
  // The error span stands out, and is one click away.
  const errorRows = await page.$$eval(".wf-row.error", (rows) => rows.map((r) => r.dataset.spanId));
  assert.deepEqual(errorRows, [SPAN.tool]);
  assert.equal(await page.textContent("#next-error"), "Next error (1)");
  await page.click("#next-error");
  assert.equal(await page.textContent("#span-name"), "charge-card");
  assert.deepEqual(JSON.parse(await page.textContent("#span-error pre")), { type: "PaymentDeclined", message: "card declined", code: 402 });
  assert.equal(await page.textContent("#attributes tr:has(th:text-is('endpoint')) td"), "https://pay.example/charge");
  // Its events in order, each with its stored content.
  const events = await page.$$eval("#events li", (lis) => lis.map((li) => [li.dataset.type, li.querySelector("pre").textContent]));
  assert.deepEqual(events.map(([type]) => type), ["tool_arguments", "tool_result"]);
  assert.deepEqual(JSON.parse(events[0][1]), TOOL_ARGS);
  assert.match(events[0][1], /^\{\n {2}"/, "JSON content is pretty-printed");
  assert.deepEqual(JSON.parse(events[1][1]), { status: "declined" });
  // Its scores with the stored values.
  const scores = await page.$$eval("#scores tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)));
  assert.deepEqual(scores.map((s) => s.slice(0, 4)).sort(), [
    ["declined_handled", "true", "boolean", "api"],
    ["verdict", "needs-work", "categorical", "api"],
  ]);
  await page.screenshot({ path: join(shots, "viewer-trace.png") });

  // The model span: its prompt link (version, labels, variables) and its events, the long one collapsed.
  await page.click(`.wf-row[data-span-id="${SPAN.model}"]`);
  assert.equal(await page.textContent("#span-name"), "chat.completions");
  const link = page.locator(`.prompt-link[data-version-id="${seeded.v2}"]`);
  assert.match(await link.textContent(), /Summarizer.*summarizer.*v2/);
  assert.deepEqual(await link.locator(".label").allTextContents(), ["prod", "staging"]);
  assert.equal(await link.locator("tr:has(th:text-is('doc')) td").textContent(), "order #1234");
  assert.equal(await link.locator("tr:has(th:text-is('max_words')) td").textContent(), "50");
  const system = page.locator('li[data-type="system_message"]');
  assert.equal(await system.locator("pre.collapsed").count(), 1);
  assert.equal(await system.locator("pre").textContent(), LONG_SYSTEM);
  await system.locator("button.expand").click();
  assert.equal(await system.locator("pre.collapsed").count(), 0);
  assert.deepEqual(JSON.parse(await page.textContent('li[data-type="assistant_message"] pre')), ASSISTANT);

  // Escape: the trace itself, its events and scores that belong to no span.
  await page.focus("#waterfall");
  await page.keyboard.press("Escape");
  assert.match(await page.textContent("#panel"), /Buy the blue shoes/);
  assert.match(await page.textContent("#panel #scores"), /helpfulness0\.75numericapigood/);
});

test("stored text is never HTML: a span named <img onerror> and script content stay text", async () => {
  await show(`#/traces/${R_XSS}`, "trace");
  assert.equal(await page.textContent("#trace-title"), `${XSS_RUN} ok`);
  await page.click(`.wf-row[data-span-id="${XSS_SPAN}"]`);
  assert.equal(await page.textContent(`.wf-row[data-span-id="${XSS_SPAN}"] .wf-name`), XSS_NAME);
  assert.equal(await page.textContent("#span-name"), XSS_NAME);
  assert.equal(await page.textContent(`#attributes th`), XSS_KEY);
  assert.equal(await page.textContent(`#attributes td`), XSS_CONTENT);
  assert.equal(await page.textContent(`#events li pre`), XSS_CONTENT);
  await page.waitForTimeout(300); // an injected <img src=x> would have failed to load by now
  assert.equal(await page.evaluate(() => globalThis.__xss), undefined);
  assert.equal(await page.locator("main img, main script, main b").count(), 0);
  await show(`#/sessions/${S_XSS}`, "session");
  assert.equal(await page.textContent(`#traces tr[data-trace-id="${R_XSS}"] a`), XSS_RUN);
  assert.equal(await page.locator("main img, main script, main b").count(), 0);
  assert.equal(await page.evaluate(() => globalThis.__xss), undefined);
  assert.deepEqual(page.errors, []);
});

test("new sessions and traces appear without a reload while an agent runs", async () => {
  await show("#/", "sessions");
  await page.evaluate(() => (globalThis.__sameDocument = true));
  const live = uuid();
  const first = uuid();
  const now = new Date().toISOString();
  await ingest({
    schema_version: 2,
    sessions: [{ id: live, created_at: now }],
    runs: [{ id: first, session_id: live, name: "live-run-1", started_at: now, status: "running" }],
  });
  await page.waitForSelector(`#sessions tr[data-session-id="${live}"]`, { timeout: 15_000 });
  assert.equal(await page.$eval("#sessions tr", (r) => r.dataset.sessionId), live, "the newest is first");
  await page.click(`#sessions tr[data-session-id="${live}"] a`);
  await page.waitForSelector(`#traces tr[data-trace-id="${first}"]`);
  const second = uuid();
  await ingest({
    schema_version: 2,
    runs: [{ id: second, session_id: live, name: "live-run-2", started_at: new Date().toISOString(), status: "running" }],
  });
  await page.waitForSelector(`#traces tr[data-trace-id="${second}"]`, { timeout: 15_000 });
  // A running trace's page keeps reading it: spans appear as they land.
  await page.click(`#traces tr[data-trace-id="${second}"] a`);
  await page.waitForSelector(`body[data-view="trace"][data-state="ready"]`);
  const late = uuid();
  await ingest({
    schema_version: 2,
    spans: [{
      id: late,
      run_id: second,
      kind: "model",
      name: "late-model-call",
      started_at: new Date().toISOString(),
      status: "running",
    }],
  });
  await page.waitForSelector(`.wf-row.running[data-span-id="${late}"]`, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => globalThis.__sameDocument), true, "no reload happened");
});

test("5,000 spans render and scroll without freezing (virtualised rows)", async () => {
  await show("#/", "sessions");
  // The read API's own time for the trace (its one statement over the read models).
  const apiStarted = Date.now();
  const api = await fetch(`${server.base}/api/traces/${R_BIG}`, { headers: { authorization: `Bearer ${server.token}` } });
  const apiBytes = (await api.arrayBuffer()).byteLength;
  const apiMs = Date.now() - apiStarted;
  const dbMs = api.headers.get("server-timing")?.match(/dur=([\d.]+)/)?.[1];
  const started = Date.now();
  await show(`#/traces/${R_BIG}`, "trace");
  const wall = Date.now() - started;
  assert.equal(await page.getAttribute("body", "data-spans"), String(BIG_SPANS));
  const timings = await page.evaluate(() => globalThis.__viewerTimings);
  assert.equal(timings.spans, BIG_SPANS);
  assert.ok(timings.rowsInDom < 150, `only the rows in view exist (${timings.rowsInDom})`);

  // Scroll through the whole list, one step per frame, timing each frame and noting long tasks.
  const scroll = await page.evaluate(async () => {
    const el = document.getElementById("waterfall");
    const long = [];
    const observer = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)));
    observer.observe({ type: "longtask" });
    const frames = [];
    const steps = 120;
    const stride = (el.scrollHeight - el.clientHeight) / steps;
    let last = performance.now();
    const begin = last;
    for (let i = 1; i <= steps; i++) {
      el.scrollTop = Math.round(stride * i);
      await new Promise((r) => requestAnimationFrame(() => r()));
      const now = performance.now();
      frames.push(now - last);
      last = now;
    }
    await new Promise((r) => setTimeout(r, 100));
    observer.disconnect();
    frames.sort((a, b) => a - b);
    return {
      steps,
      totalMs: performance.now() - begin - 100,
      medianFrameMs: frames[frames.length >> 1],
      p95FrameMs: frames[Math.floor(frames.length * 0.95)],
      maxFrameMs: frames[frames.length - 1],
      longTasks: long.length,
      longestTaskMs: long.length ? Math.max(...long) : 0,
      rowsInDom: document.querySelectorAll(".wf-row:not([hidden])").length,
    };
  });
  assert.ok(scroll.rowsInDom < 150, `rows in the DOM after scrolling: ${scroll.rowsInDom}`);
  // The last span is reachable and drawn at the bottom.
  await page.waitForSelector(`.wf-row[data-span-id="${lastBigSpan.id}"]`, { timeout: 5_000 });
  assert.equal(await page.textContent(`.wf-row[data-span-id="${lastBigSpan.id}"] .wf-name`), lastBigSpan.name);
  // Errors deep in the list are one click away.
  await page.click("#next-error");
  assert.match(await page.textContent("#span-name"), /^(llm|tool)-call-\d+$/);
  assert.match(await page.textContent("#span-error pre"), /timed out/);
  await page.screenshot({ path: join(shots, "viewer-trace-5000.png") });
  // Filtering by name leaves only the matching spans (still virtualised).
  await page.fill("#span-filter", "Iteration-");
  assert.equal(await page.textContent("#filter-count"), `${bigIterationCount} of 5,000`);
  const shown = await page.$$eval(".wf-row:not([hidden]) .wf-name", (n) => n.map((x) => x.textContent));
  assert.ok(shown.length > 0 && shown.every((name) => name.startsWith("iteration-")), shown.join());
  await page.fill("#span-filter", "");
  assert.equal(await page.textContent("#filter-count"), "");
  const f = (x) => x.toFixed(1);
  console.log(
    `5,000 spans: read API ${apiMs} ms for ${(apiBytes / 1e6).toFixed(2)} MB (database statement ${dbMs} ms); ` +
      `navigation to rendered ${wall} ms (fetch+parse ${f(timings.fetchAndParseMs)} ms, ` +
      `tree+render ${f(timings.buildAndRenderMs)} ms, ${timings.rowsInDom} rows in the DOM); scroll of ` +
      `${scroll.steps} frames over the whole list: ${f(scroll.totalMs)} ms, frame median ${f(scroll.medianFrameMs)} ms, ` +
      `p95 ${f(scroll.p95FrameMs)} ms, max ${f(scroll.maxFrameMs)} ms, long tasks ${scroll.longTasks} ` +
      `(longest ${f(scroll.longestTaskMs)} ms)`,
  );
});

// Not a timed assertion: figures printed for the report. The same trace drawn by the viewer's
// waterfall (virtualised) and with every row in the DOM (the same row markup and CSS),
// interleaved over three rounds; bests and their ratio.
test("benchmark: the 5,000-span waterfall virtualised vs every row in the DOM", async () => {
  await show(`#/traces/${R_BIG}`, "trace");
  const result = await page.evaluate(async (traceId) => {
    const { createWaterfall } = await import("/viewer/waterfall.js");
    const { buildTree } = await import("/viewer/trace.js");
    const { micros, duration } = await import("/viewer/dom.js");
    const data = await (await fetch(`/api/traces/${traceId}`)).json();
    const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const stage = document.createElement("div");
    stage.className = "split";
    stage.style.cssText = "position:fixed;inset:0;height:900px;z-index:10;background:#fff";
    document.body.appendChild(stage);
    const host = () => {
      const el = document.createElement("div");
      el.className = "wf";
      stage.replaceChildren(el);
      return el;
    };
    // Every row in the DOM, as a waterfall without virtualisation would draw it.
    const drawAll = (el, nodes, t0, total) => {
      const scroll = document.createElement("div");
      scroll.className = "wf-scroll";
      const body = document.createElement("div");
      body.className = "wf-body";
      body.style.height = `${nodes.length * 26}px`;
      nodes.forEach((node, i) => {
        const row = document.createElement("div");
        row.className = `wf-row${node.span.status === "error" ? " error" : ""}`;
        row.style.transform = `translateY(${i * 26}px)`;
        const label = document.createElement("div");
        label.className = "wf-label";
        label.style.paddingLeft = `${Math.min(node.depth, 24) * 14 + 4}px`;
        const toggle = document.createElement("button");
        toggle.className = "wf-toggle";
        toggle.textContent = node.children ? "▾" : "";
        const kind = document.createElement("span");
        kind.className = `kind kind-${node.span.kind}`;
        kind.textContent = node.span.kind;
        const name = document.createElement("span");
        name.className = "wf-name";
        name.textContent = node.span.name;
        label.append(toggle, kind, name);
        const track = document.createElement("div");
        track.className = "wf-track";
        const bar = document.createElement("div");
        bar.className = "wf-bar";
        bar.style.left = `${((node.start - t0) / total) * 100}%`;
        bar.style.width = `${(((node.end ?? node.start) - node.start) / total) * 100}%`;
        const dur = document.createElement("span");
        dur.className = "wf-dur";
        dur.textContent = duration((node.end ?? node.start) - node.start);
        track.append(bar, dur);
        row.append(label, track);
        body.appendChild(row);
      });
      scroll.appendChild(body);
      el.appendChild(scroll);
      return scroll;
    };
    const scrollFrames = async (el) => {
      const times = [];
      const stride = (el.scrollHeight - el.clientHeight) / 40;
      let last = performance.now();
      for (let i = 1; i <= 40; i++) {
        el.scrollTop = Math.round(stride * i);
        await frame();
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return times[times.length >> 1];
    };
    const runs = { virtual: [], all: [], virtualScroll: [], allScroll: [] };
    const rows = {};
    for (let round = 0; round < 3; round++) {
      for (const kind of ["virtual", "all"]) {
        const el = host();
        await frame();
        const started = performance.now();
        const nodes = buildTree(data.spans);
        const t0 = Math.min(...nodes.slice(0, 1).map((n) => n.start), micros(data.trace.created_at));
        let t1 = t0;
        for (const n of nodes) t1 = Math.max(t1, n.end ?? n.start);
        let scroller;
        if (kind === "virtual") {
          const wf = createWaterfall(el, { onSelect: () => {} });
          wf.setData(nodes, t0, t1);
          scroller = el.querySelector(".wf-scroll");
        } else {
          scroller = drawAll(el, nodes, t0, Math.max(t1 - t0, 1));
        }
        void el.offsetHeight; // layout
        await frame(); // and paint
        runs[kind].push(performance.now() - started);
        runs[`${kind}Scroll`].push(await scrollFrames(scroller));
        rows[kind] = el.querySelectorAll(".wf-row:not([hidden])").length;
      }
    }
    stage.remove();
    const best = (list) => Math.min(...list);
    return {
      rows,
      virtualMs: best(runs.virtual),
      allMs: best(runs.all),
      virtualScrollMs: best(runs.virtualScroll),
      allScrollMs: best(runs.allScroll),
    };
  }, R_BIG);
  assert.equal(result.rows.all, BIG_SPANS);
  assert.ok(result.rows.virtual < 150);
  const f = (x) => x.toFixed(1);
  console.log(
    `5,000-span waterfall, best of 3 interleaved rounds, build+layout+first paint: virtualised ${f(result.virtualMs)} ms ` +
      `(${result.rows.virtual} rows in the DOM), every row in the DOM ${f(result.allMs)} ms (${result.rows.all} rows); ` +
      `ratio ${f(result.allMs / result.virtualMs)}x. Median frame while scrolling (40 steps over the list): virtualised ` +
      `${f(result.virtualScrollMs)} ms, every row ${f(result.allScrollMs)} ms`,
  );
});

test("prompts: versions, labels, label history and a diff between versions", async () => {
  await show("#/prompts", "prompts");
  const row = page.locator(`#prompts tr[data-prompt-id="${seeded.prompt_id}"]`);
  assert.match(await row.textContent(), /Summarizer/);
  assert.deepEqual(await row.locator(".label").allTextContents(), ["prod", "staging"]);
  await row.locator("a").click();
  await page.waitForSelector(`body[data-view="prompt"][data-state="ready"]`);
  assert.deepEqual(await page.$$eval("#labels .label", (l) => l.map((x) => x.textContent)), ["prod → v2", "staging → v2"]);
  assert.deepEqual(
    await page.$$eval("#versions tbody tr[data-version-id] td:first-child", (t) => t.map((x) => x.textContent)),
    ["v2", "v1"],
  );
  const history = await page.$$eval("#label-history tbody tr", (rows) =>
    rows.map((r) => [r.cells[1].textContent, r.cells[2].textContent, r.cells[4].textContent]));
  assert.deepEqual(history, [
    ["prod", "v2", "promote v2"],
    ["staging", "v2", "try the new wording"],
    ["prod", "v1", "first release"],
  ]);
  const diff = await page.$$eval("#diff div", (lines) => lines.map((l) => l.textContent));
  assert.deepEqual(diff, [
    "  You summarize documents.",
    "- Summarize {{ doc }} in {max_words} words.",
    "+ Summarize {{ doc }} in at most {max_words} words.",
    "  Be brief.",
    "+ Cite the title.",
  ]);
  await page.screenshot({ path: join(shots, "viewer-prompt.png"), fullPage: true });
});

test("validate: a pasted or dropped batch is checked in the page, every violation with its path", async () => {
  await show("#/validate", "validate");
  await page.waitForSelector("body[data-core=ready]");
  await page.fill("#batch", JSON.stringify({ schema_version: 2, spans: [{ id: "nope", kind: "llm" }], events: [{ type: "x" }] }));
  await page.click("#validate");
  assert.match(await page.textContent("#verdict-line"), /^Refused \(HTTP 400\): \d+ violations/);
  const paths = await page.$$eval("#violations tbody tr td:first-child", (tds) => tds.map((t) => t.textContent));
  for (const p of ["spans[0].id", "spans[0].kind", "events[0].created_at"]) assert.ok(paths.includes(p), `${p} in ${paths}`);
  await page.screenshot({ path: join(shots, "viewer-validate.png") });

  const example = await readFile(join(root, "tests/fixtures/example-a.json"), "utf8");
  await page.evaluate((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], "example-a.json", { type: "application/json" }));
    document.getElementById("drop").dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, example);
  await page.waitForFunction(() => document.getElementById("verdict-line")?.textContent.startsWith("Accepted"));
  assert.equal(
    await page.textContent("#verdict-line"),
    "Accepted: 1 sessions, 1 runs, 3 spans, 3 events, 0 prompt_links, 0 scores",
  );
  assert.deepEqual(page.errors, []);
});
