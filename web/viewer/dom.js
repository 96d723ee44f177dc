// DOM and formatting helpers. Everything stored in a trace is untrusted text: it reaches the
// page only through text nodes (`textContent`), never as HTML.

/**
 * Creates an element. Children that are strings or numbers become text nodes; null, undefined
 * and false are skipped; arrays are flattened. Props: `class`, `dataset`, `on<event>`, `title`,
 * any attribute.
 * @param {string} tag
 * @param {Record<string, unknown> | null} [props]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * A table's head row: each cell a label, or `[label, props]` (a numeric column's class).
 * @param {...(string | [string, Record<string, unknown>])} cells
 * @returns {HTMLElement}
 */
export function thead(...cells) {
  return h("thead", null, h("tr", null, cells.map((c) => Array.isArray(c) ? h("th", c[1], c[0]) : h("th", null, c))));
}

/**
 * Appends children (text for strings and numbers) to an element.
 * @param {Node} el
 * @param {unknown[]} children
 */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's children.
 * @param {Node} el
 * @param {...unknown} children
 */
export function replace(el, ...children) {
  el.textContent = "";
  append(el, children);
}

/**
 * Microseconds since the epoch of an ISO timestamp, keeping the microseconds that `Date` drops.
 * @param {string | null | undefined} iso
 * @returns {number | null}
 */
export function micros(iso) {
  if (!iso) return null;
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(iso);
  if (!m) {
    const ms = Date.parse(iso);
    return Number.isNaN(ms) ? null : ms * 1000;
  }
  const ms = Date.parse(m[1] + m[3]);
  if (Number.isNaN(ms)) return null;
  return ms * 1000 + Number((m[2] ?? "").padEnd(6, "0").slice(0, 6));
}

/**
 * A duration in microseconds, short: "850 µs", "12.3 ms", "1.24 s", "2m 05s".
 * @param {number | null} us
 */
export function duration(us) {
  if (us === null || !Number.isFinite(us)) return "–";
  if (us === 0) return "0";
  if (us < 0) return "-" + duration(-us);
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
  if (us < 6e7) return `${(us / 1e6).toFixed(2)} s`;
  const s = Math.round(us / 1e6);
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor(s / 60) % 60).padStart(2, "0")}m`;
}

/**
 * A local date and time, "2025-03-01 12:00:00".
 * @param {string | null | undefined} iso
 */
export function when(iso) {
  const us = micros(iso);
  if (us === null) return "–";
  const d = new Date(us / 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${
    p(d.getSeconds())
  }`;
}

/**
 * US dollars: "$0", "$0.00125", "$1.50".
 * @param {unknown} value
 */
export function cost(value) {
  const n = Number(value ?? 0);
  if (!Number.isFinite(n) || n === 0) return "$0";
  if (Math.abs(n) < 0.01) return `$${Number(n.toPrecision(3))}`;
  return `$${n.toFixed(2)}`;
}

/**
 * A count, grouped: "12,345".
 * @param {unknown} value
 */
export function count(value) {
  const n = Number(value ?? 0);
  return Number.isFinite(n) ? n.toLocaleString("en-US") : "–";
}

/**
 * A status badge (ok, error, running).
 * @param {string} status
 */
export function statusBadge(status) {
  return h("span", { class: `status status-${/^[a-z]+$/.test(status) ? status : "other"}` }, status);
}

/**
 * A span kind badge (agent, workflow, model, tool, custom).
 * @param {string} kind
 */
export function kindBadge(kind) {
  return h("span", { class: `kind kind-${/^[a-z]+$/.test(kind) ? kind : "other"}` }, kind);
}

/** Content longer than this many characters or lines starts collapsed. */
const LONG_CHARS = 600;
const LONG_LINES = 12;

/**
 * Free JSON as readable text: strings as they are (JSON inside a string pretty-printed),
 * anything else pretty-printed.
 * @param {unknown} value
 * @returns {string}
 */
export function pretty(value) {
  if (typeof value === "string") {
    const t = value.trim();
    if ((t.startsWith("{") && t.endsWith("}")) || (t.startsWith("[") && t.endsWith("]"))) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2);
      } catch { /* not JSON: shown as it is */ }
    }
    return value;
  }
  if (value === undefined) return "";
  return JSON.stringify(value, null, 2);
}

/**
 * A block of content: pretty-printed, collapsed behind a button when long.
 * @param {unknown} value
 * @param {string} [className]
 */
export function contentBlock(value, className = "content") {
  const text = pretty(value);
  const lines = text.split("\n").length;
  const pre = h("pre", { class: className }, text);
  if (text.length <= LONG_CHARS && lines <= LONG_LINES) return pre;
  pre.classList.add("collapsed");
  const label = () =>
    pre.classList.contains("collapsed")
      ? `Show all (${count(lines)} lines, ${count(text.length)} characters)`
      : "Collapse";
  const button = h("button", {
    class: "link expand",
    type: "button",
    onclick: () => {
      pre.classList.toggle("collapsed");
      button.textContent = label();
    },
  }, label());
  return h("div", { class: "long" }, pre, button);
}

/**
 * Tokens in and out: "100 in · 25 out".
 * @param {unknown} input
 * @param {unknown} output
 */
export function tokens(input, output) {
  return `${count(input)} in · ${count(output)} out`;
}

/**
 * A short form of a UUID for tables (the whole id stays in the title).
 * @param {string} id
 */
export function shortId(id) {
  return String(id).slice(0, 8);
}

/**
 * "3 min ago" for times in the last week, "" otherwise.
 * @param {string | null | undefined} iso
 */
export function ago(iso) {
  const us = micros(iso);
  if (us === null) return "–";
  const s = (Date.now() - us / 1000) / 1000;
  if (s < 0 || s > 7 * 86400) return "";
  if (s < 60) return `${Math.floor(s)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}
