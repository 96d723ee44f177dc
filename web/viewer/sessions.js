// The sessions list (newest first) and one session's traces; both refresh themselves by
// polling, so traces appear while an agent runs.
import { poll } from "./api.js";
import {
  ago,
  contentBlock,
  cost,
  count,
  duration,
  h,
  micros,
  replace,
  shortId,
  statusBadge,
  thead,
  tokens,
  when,
} from "./dom.js";

/** Duration between two ISO times, or "running" when the end is missing. */
function span(start, end) {
  const a = micros(start);
  const b = micros(end);
  return a === null || b === null ? "running" : duration(b - a);
}

/** A table row that is a link as a whole (the first cell holds a real link for keyboards). */
function linkRow(href, cells, attrs = {}) {
  return h("tr", {
    class: "link-row",
    onclick: (e) => {
      if (!(/** @type {HTMLElement} */ (e.target).closest("a"))) location.hash = href;
    },
    ...attrs,
  }, cells);
}

/**
 * The sessions page.
 * @param {HTMLElement} main
 * @param {import("./app.js").PageContext} ctx
 */
export function sessionsPage(main, ctx) {
  const summary = h("p", { class: "muted", id: "sessions-summary" }, "Loading…");
  const body = h("tbody", { id: "sessions" });
  const table = h(
    "table",
    { class: "grid" },
    thead(
      "Session",
      "Started",
      "Duration",
      ["Traces", { class: "num" }],
      ["Tool calls", { class: "num" }],
      ["Errors", { class: "num" }],
      ["Cost", { class: "num" }],
      ["Tokens", { class: "num" }],
    ),
    body,
  );
  const empty = h(
    "div",
    { class: "notice", hidden: true },
    h("h2", null, "No sessions yet"),
    h(
      "p",
      null,
      "Point the SDK at the ingest endpoint printed by scripts/run.sh, or send the example batch with its curl line. New sessions appear here without a reload.",
    ),
  );
  replace(main, h("h1", null, "Sessions"), summary, empty, table);
  return poll("/api/sessions", (sessions) => {
    const list = sessions ?? [];
    const errors = list.filter((s) => Number(s.errored_count ?? 0) > 0).length;
    summary.textContent = `${count(list.length)} sessions · ${count(errors)} with errors · newest first`;
    empty.hidden = list.length > 0;
    table.hidden = list.length === 0;
    replace(
      body,
      list.map((s) =>
        linkRow(`#/sessions/${s.id}`, [
          h("td", null, h("a", { href: `#/sessions/${s.id}`, title: s.id, class: "mono" }, shortId(s.id))),
          h(
            "td",
            { title: s.created_at },
            when(s.created_at),
            h("span", { class: "muted small" }, ` ${ago(s.created_at)}`),
          ),
          h("td", null, span(s.created_at, s.ended_at)),
          h("td", { class: "num", dataset: { col: "traces" } }, count(s.trace_count)),
          h("td", { class: "num", dataset: { col: "tools" } }, count(s.tool_call_count)),
          h(
            "td",
            { class: `num ${Number(s.errored_count) > 0 ? "error-text" : ""}`, dataset: { col: "errors" } },
            count(s.errored_count),
          ),
          h("td", { class: "num", dataset: { col: "cost" } }, cost(s.total_cost_usd)),
          h("td", { class: "num", dataset: { col: "tokens" } }, tokens(s.total_input_tokens, s.total_output_tokens)),
        ], { dataset: { sessionId: s.id } })
      ),
    );
    ctx.ready();
  }, { onError: ctx.failed, onPoll: ctx.polled });
}

/**
 * One session: its totals and its traces (runs), oldest first as the read model gives them.
 * @param {HTMLElement} main
 * @param {import("./app.js").PageContext} ctx
 * @param {string} id
 */
export function sessionPage(main, ctx, id) {
  const title = h("h1", null, "Session ", h("span", { class: "mono" }, id));
  const facts = h("dl", { class: "facts" });
  const body = h("tbody", { id: "traces" });
  replace(
    main,
    h("div", { class: "crumbs" }, h("a", { href: "#/" }, "Sessions"), " › ", h("span", { class: "mono" }, shortId(id))),
    title,
    facts,
    h("h2", null, "Traces"),
    h(
      "table",
      { class: "grid" },
      thead(
        "Trace",
        "Status",
        "Started",
        "Duration",
        "Model",
        ["Cost", { class: "num" }],
        ["Tokens", { class: "num" }],
        "Error",
      ),
      body,
    ),
  );
  return poll(`/api/sessions/${id}`, (answer) => {
    if (answer === null) {
      replace(
        main,
        h("div", { class: "notice bad" }, h("h2", null, "No such session"), h("a", { href: "#/" }, "Sessions")),
      );
      ctx.ready();
      return;
    }
    const { session, cost: totals, traces } = answer;
    replace(
      facts,
      fact("Started", when(session.created_at)),
      fact("Duration", span(session.created_at, session.ended_at)),
      fact("Traces", count(traces.length)),
      fact("Model calls", count(totals?.model_call_count)),
      fact("Cost", cost(session.total_cost_usd)),
      fact("Tokens", tokens(session.total_input_tokens, session.total_output_tokens)),
    );
    replace(
      body,
      traces.map((t) =>
        linkRow(`#/traces/${t.id}`, [
          h("td", null, h("a", { href: `#/traces/${t.id}`, title: t.id }, t.name)),
          h("td", null, statusBadge(t.status)),
          h("td", { title: t.created_at }, when(t.created_at)),
          h("td", null, span(t.created_at, t.ended_at)),
          h("td", null, t.model ?? "–"),
          h("td", { class: "num" }, cost(t.cost_usd)),
          h("td", { class: "num" }, tokens(t.input_tokens, t.output_tokens)),
          h("td", { class: "error-text" }, t.error ? errorLine(t.error) : ""),
        ], { dataset: { traceId: t.id }, class: `link-row ${t.status === "error" ? "row-error" : ""}` })
      ),
    );
    ctx.ready();
  }, { onError: ctx.failed, onPoll: ctx.polled });
}

/**
 * One fact of a summary: a term and its value.
 * @param {string} term
 * @param {unknown} value
 */
export function fact(term, value) {
  return h("div", null, h("dt", null, term), h("dd", null, value));
}

/**
 * An error object in one line: "TimeoutError: upstream timed out".
 * @param {unknown} error
 */
export function errorLine(error) {
  if (error && typeof error === "object" && !Array.isArray(error)) {
    const e = /** @type {Record<string, unknown>} */ (error);
    const type = typeof e.type === "string" ? e.type : "";
    const message = typeof e.message === "string" ? e.message : "";
    if (type || message) return [type, message].filter(Boolean).join(": ");
  }
  return contentBlock(error).textContent ?? "";
}
