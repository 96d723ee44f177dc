// One trace (a run): its span tree as a waterfall, and a panel for the selected span with its
// attributes, error, events, scores and prompt links. The page re-reads the trace while it or
// any of its spans is still running.
import { poll } from "./api.js";
import {
  contentBlock,
  cost,
  count,
  duration,
  h,
  kindBadge,
  micros,
  replace,
  shortId,
  statusBadge,
  thead,
  tokens,
  when,
} from "./dom.js";
import { errorLine, fact } from "./sessions.js";
import { createWaterfall } from "./waterfall.js";

/**
 * Places the spans in a tree, depth-first, children in start order (the read model's order).
 * A span whose parent is not in the trace is shown as a root.
 * @param {any[]} spans
 * @returns {import("./waterfall.js").WaterfallNode[]}
 */
export function buildTree(spans) {
  const ids = new Set(spans.map((s) => s.id));
  /** @type {Map<string, any[]>} */
  const children = new Map();
  const roots = [];
  for (const s of spans) {
    const parent = s.parent_span_id;
    if (parent && parent !== s.id && ids.has(parent)) {
      let list = children.get(parent);
      if (!list) children.set(parent, list = []);
      list.push(s);
    } else roots.push(s);
  }
  /** @type {import("./waterfall.js").WaterfallNode[]} */
  const nodes = [];
  const seen = new Set();
  /** @type {[any, number][]} */
  const stack = roots.reverse().map((s) => [s, 0]);
  while (stack.length > 0) {
    const [s, depth] = /** @type {[any, number]} */ (stack.pop());
    if (seen.has(s.id)) continue; // the database refuses cycles; never loop on one anyway
    seen.add(s.id);
    const kids = children.get(s.id) ?? [];
    const start = micros(s.started_at) ?? 0;
    nodes.push({
      span: s,
      depth,
      start,
      end: micros(s.ended_at),
      children: kids.length,
      errorsBelow: 0,
      parent: ids.has(s.parent_span_id) && s.parent_span_id !== s.id ? s.parent_span_id : null,
    });
    for (let i = kids.length - 1; i >= 0; i--) stack.push([kids[i], depth + 1]);
  }
  const at = new Map(nodes.map((n, i) => [n.span.id, i]));
  for (const n of nodes) {
    if (n.span.status !== "error") continue;
    for (let p = n.parent; p !== null;) {
      const parent = nodes[/** @type {number} */ (at.get(p))];
      parent.errorsBelow++;
      p = parent.parent;
    }
  }
  return nodes;
}

/** Groups rows by a key (span_id; null for the trace itself). */
function groupBy(list, key) {
  /** @type {Map<string | null, any[]>} */
  const map = new Map();
  for (const item of list) {
    const k = item[key] ?? null;
    let group = map.get(k);
    if (!group) map.set(k, group = []);
    group.push(item);
  }
  return map;
}

/**
 * The trace page.
 * @param {HTMLElement} main
 * @param {import("./app.js").PageContext} ctx
 * @param {string} id
 */
export function tracePage(main, ctx, id) {
  const started = performance.now();
  const crumbs = h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Sessions"), " › …");
  const title = h("h1", { id: "trace-title" }, "Trace");
  const facts = h("dl", { class: "facts" });
  const errorsButton = h("button", { type: "button", id: "next-error", hidden: true });
  const filterCount = h("span", { class: "muted small", id: "filter-count" });
  const filterInput = h("input", {
    type: "search",
    id: "span-filter",
    placeholder: "Filter spans by name or kind",
    oninput: () => {
      const value = /** @type {HTMLInputElement} */ (filterInput).value;
      const shown = waterfall.setFilter(value);
      filterCount.textContent = value.trim() === "" ? "" : `${count(shown)} of ${count(answer?.spans.length ?? 0)}`;
    },
  });
  const toolbar = h(
    "div",
    { class: "toolbar" },
    filterInput,
    filterCount,
    errorsButton,
    h("button", { type: "button", onclick: () => waterfall.collapseAll(true) }, "Collapse all"),
    h("button", { type: "button", onclick: () => waterfall.collapseAll(false) }, "Expand all"),
    h("span", { class: "muted small" }, "↑ ↓ to move, ← → to fold, Esc for the trace"),
  );
  const wfHost = h("div", { class: "wf" });
  const panel = h("aside", { class: "panel", id: "panel" });
  replace(main, crumbs, title, facts, toolbar, h("div", { class: "split" }, wfHost, panel));
  main.classList.add("wide");

  /** @type {any} */
  let answer = null;
  let events = new Map();
  let scores = new Map();
  let links = new Map();
  let errorIds = /** @type {string[]} */ ([]);
  let t0 = 0;
  let first = true;

  const waterfall = createWaterfall(wfHost, { onSelect: (spanId) => showPanel(spanId) });
  errorsButton.addEventListener("click", () => {
    if (errorIds.length === 0) return;
    const at = errorIds.indexOf(/** @type {string} */ (panel.dataset.spanId));
    waterfall.select(errorIds[(at + 1) % errorIds.length], { scroll: true });
  });

  function showPanel(spanId) {
    if (!answer) return;
    const span = spanId === null ? null : answer.spans.find((s) => s.id === spanId);
    if (span) {
      panel.dataset.spanId = span.id;
      replace(panel, ...spanPanel(span));
    } else {
      delete panel.dataset.spanId;
      replace(panel, ...tracePanel());
    }
  }

  function tracePanel() {
    const t = answer.trace;
    return [
      h("h2", null, "Trace"),
      h("p", { class: "muted small" }, "Select a span to see its attributes, events, scores and prompt links."),
      t.error
        ? section("Error", h("div", { class: "error-box", id: "trace-error" }, contentBlock(t.error, "plain")))
        : null,
      eventsSection(events.get(null) ?? [], "Trace events"),
      scoresSection(scores.get(null) ?? [], "Trace scores"),
    ];
  }

  function spanPanel(s) {
    const start = micros(s.started_at);
    const end = micros(s.ended_at);
    const attributes = s.attributes && typeof s.attributes === "object" && !Array.isArray(s.attributes)
      ? Object.entries(s.attributes)
      : null;
    return [
      h(
        "div",
        { class: "panel-head" },
        kindBadge(s.kind),
        " ",
        h("h2", { id: "span-name" }, s.name),
        " ",
        statusBadge(s.status),
      ),
      h(
        "dl",
        { class: "facts compact" },
        fact("Duration", start !== null && end !== null ? duration(end - start) : "running"),
        fact("Starts at", start !== null ? `+${duration(start - t0)}` : "–"),
        fact("Started", when(s.started_at)),
        s.iteration !== null && s.iteration !== undefined ? fact("Iteration", String(s.iteration)) : null,
        fact("Span", h("span", { class: "mono small", title: s.id }, s.id)),
      ),
      s.error !== null && s.error !== undefined
        ? section("Error", h("div", { class: "error-box", id: "span-error" }, contentBlock(s.error, "plain")))
        : null,
      section(
        "Attributes",
        attributes === null
          ? contentBlock(s.attributes)
          : attributes.length === 0
          ? h("p", { class: "muted" }, "none")
          : h(
            "table",
            { class: "kv", id: "attributes" },
            h(
              "tbody",
              null,
              attributes.map(([k, v]) =>
                h(
                  "tr",
                  null,
                  h("th", null, k),
                  h("td", null, v !== null && typeof v === "object" ? contentBlock(v) : String(v)),
                )
              ),
            ),
          ),
      ),
      eventsSection(events.get(s.id) ?? [], "Events"),
      scoresSection(scores.get(s.id) ?? [], "Scores"),
      linksSection(links.get(s.id) ?? []),
    ];
  }

  function eventsSection(list, heading) {
    return section(
      `${heading} (${list.length})`,
      list.length === 0 ? h("p", { class: "muted" }, "none") : h(
        "ol",
        { class: "events", id: "events" },
        list.map((e) => {
          const at = micros(e.created_at);
          const attrs = e.attributes && typeof e.attributes === "object" && Object.keys(e.attributes).length > 0;
          return h(
            "li",
            { class: "event", dataset: { eventId: e.id, type: e.type } },
            h(
              "div",
              { class: "event-head" },
              h("span", { class: "etype" }, e.type),
              h("span", { class: "muted small" }, at !== null ? `+${duration(at - t0)}` : ""),
            ),
            contentBlock(e.content),
            attrs ? h("details", null, h("summary", null, "attributes"), contentBlock(e.attributes)) : null,
          );
        }),
      ),
    );
  }

  function scoresSection(list, heading) {
    return section(
      `${heading} (${list.length})`,
      list.length === 0 ? h("p", { class: "muted" }, "none") : h(
        "table",
        { class: "grid compact", id: "scores" },
        thead("Name", "Value", "Type", "Source", "Comment"),
        h(
          "tbody",
          null,
          list.map((s) =>
            h(
              "tr",
              { dataset: { scoreId: s.id } },
              h("td", null, s.name),
              h(
                "td",
                { class: "score-value" },
                s.data_type === "categorical"
                  ? s.string_value
                  : s.data_type === "boolean"
                  ? (Number(s.value) === 1 ? "true" : "false")
                  : String(s.value),
              ),
              h("td", null, s.data_type),
              h("td", null, s.source),
              h("td", null, s.comment ?? ""),
            )
          ),
        ),
      ),
    );
  }

  function linksSection(list) {
    return section(
      `Prompt links (${list.length})`,
      list.length === 0 ? h("p", { class: "muted" }, "none") : list.map((l) => {
        const labels = Object.entries(l.labels ?? {}).filter(([, v]) => v === l.prompt_version_id).map(([k]) => k);
        const vars = Object.entries(l.variable_values ?? {});
        return h(
          "div",
          { class: "prompt-link", dataset: { versionId: l.prompt_version_id } },
          h(
            "div",
            null,
            h("a", { href: `#/prompts/${l.prompt_id}` }, l.prompt_name),
            " ",
            h("span", { class: "mono small muted" }, l.prompt_slug),
            " ",
            h("span", { class: "version" }, `v${l.version_number}`),
            labels.map((label) => h("span", { class: "label" }, label)),
          ),
          vars.length === 0 ? h("p", { class: "muted small" }, "no variables") : h(
            "table",
            { class: "kv variables" },
            h("tbody", null, vars.map(([k, v]) => h("tr", null, h("th", null, k), h("td", null, contentBlock(v))))),
          ),
        );
      }),
    );
  }

  function onData(data) {
    if (data === null) {
      replace(
        main,
        h("div", { class: "notice bad" }, h("h2", null, "No such trace"), h("a", { href: "#/" }, "Sessions")),
      );
      ctx.ready();
      return;
    }
    const parsedAt = performance.now();
    answer = data;
    const t = data.trace;
    events = groupBy(data.events, "span_id");
    scores = groupBy(data.scores, "span_id");
    links = groupBy(data.prompt_links, "span_id");
    const nodes = buildTree(data.spans);
    const running = t.status === "running" || data.spans.some((s) => s.status === "running");
    const starts = nodes.map((n) => n.start);
    const ends = nodes.map((n) => n.end ?? n.start);
    const traceStart = micros(t.created_at);
    const traceEnd = micros(t.ended_at);
    t0 = Math.min(traceStart ?? Infinity, reduceMin(starts));
    if (!Number.isFinite(t0)) t0 = 0;
    let t1 = Math.max(traceEnd ?? -Infinity, reduceMax(ends));
    if (running) t1 = Math.max(t1, Date.now() * 1000);
    if (!Number.isFinite(t1)) t1 = t0 + 1;
    errorIds = nodes.filter((n) => n.span.status === "error").map((n) => n.span.id);

    replace(
      crumbs,
      h("a", { href: "#/" }, "Sessions"),
      " › ",
      h("a", { href: `#/sessions/${t.session_id}`, class: "mono" }, shortId(t.session_id)),
      " › ",
      h("span", null, t.name),
    );
    replace(title, t.name, " ", statusBadge(t.status));
    replace(
      facts,
      fact("Started", when(t.created_at)),
      fact("Duration", traceStart !== null && traceEnd !== null ? duration(traceEnd - traceStart) : "running"),
      fact("Spans", count(data.spans.length)),
      fact("Errors", h("span", { class: errorIds.length ? "error-text" : "" }, count(errorIds.length))),
      fact("Events", count(data.events.length)),
      fact("Model", t.model ?? "–"),
      fact("Cost", cost(t.cost_usd)),
      fact("Tokens", tokens(t.input_tokens, t.output_tokens)),
      t.error ? fact("Error", h("span", { class: "error-text" }, errorLine(t.error))) : null,
    );
    errorsButton.hidden = errorIds.length === 0;
    errorsButton.textContent = `Next error (${errorIds.length})`;
    waterfall.setData(nodes, t0, t1);
    showPanel(panel.dataset.spanId ?? null);
    if (first) {
      first = false;
      const done = performance.now();
      // Read by the browser test and printed as the render timings.
      /** @type {any} */ (window).__viewerTimings = {
        spans: data.spans.length,
        fetchAndParseMs: parsedAt - started,
        buildAndRenderMs: done - parsedAt,
        totalMs: done - started,
        rowsInDom: waterfall.rowCount(),
      };
    }
    document.body.dataset.spans = String(data.spans.length);
    ctx.ready();
    keepPolling = running;
  }

  let keepPolling = true;
  const stop = poll(`/api/traces/${id}`, onData, {
    onError: ctx.failed,
    onPoll: ctx.polled,
    keepGoing: () => keepPolling,
  });
  return () => {
    stop();
    waterfall.destroy();
    main.classList.remove("wide");
  };
}

/** Minimum without spreading (thousands of arguments). */
function reduceMin(list) {
  let m = Infinity;
  for (const x of list) if (x < m) m = x;
  return m;
}

function reduceMax(list) {
  let m = -Infinity;
  for (const x of list) if (x > m) m = x;
  return m;
}

/**
 * A titled panel section.
 * @param {string} heading
 * @param {...unknown} content
 */
function section(heading, ...content) {
  return h("section", null, h("h3", null, heading), content);
}
