// The span waterfall: one row per span on a shared time axis, indented by depth. Rows are
// virtualised — only the rows in view (plus a margin) exist in the DOM, reused as the list
// scrolls — so a trace of thousands of spans renders and scrolls like a small one.
import { duration, h } from "./dom.js";

/** Row height in pixels (matches `.wf-row` in style.css). */
export const ROW_HEIGHT = 26;
/** Rows rendered above and below the visible ones. */
const OVERSCAN = 12;
/** Indentation per level, capped so that deep trees keep room for their names. */
const INDENT = 14;
const MAX_INDENT_LEVELS = 24;

/**
 * A span placed in the tree.
 * @typedef {{span: any, depth: number, start: number, end: number | null, children: number,
 *   errorsBelow: number, parent: string | null}} WaterfallNode
 */

/**
 * Creates the waterfall inside `host`.
 * @param {HTMLElement} host
 * @param {{onSelect: (id: string | null) => void}} options
 */
export function createWaterfall(host, { onSelect }) {
  const axis = h("div", { class: "wf-axis" });
  const body = h("div", { class: "wf-body" });
  const scroller = h("div", { class: "wf-scroll", tabindex: "0", id: "waterfall" }, axis, body);
  host.appendChild(scroller);

  /** @type {WaterfallNode[]} */
  let nodes = [];
  /** @type {WaterfallNode[]} */
  let visible = [];
  /** @type {Map<string, number>} index in `nodes` by span id */
  let indexOf = new Map();
  const collapsed = new Set();
  /** Lower-case text a span's name or kind must contain to be shown ("" shows the tree). */
  let filter = "";
  /** @type {string | null} */
  let selected = null;
  let t0 = 0;
  let total = 1;
  let frame = 0;
  /** @type {{el: HTMLElement, toggle: HTMLElement, kind: HTMLElement, name: HTMLElement, label: HTMLElement,
   *   bar: HTMLElement, dur: HTMLElement, node: WaterfallNode | null, index: number, selected: boolean}[]} */
  const pool = [];

  function makeRow() {
    const toggle = h("button", { class: "wf-toggle", type: "button", tabindex: "-1" });
    const kind = h("span", { class: "kind" });
    const name = h("span", { class: "wf-name" });
    const label = h("div", { class: "wf-label" }, toggle, kind, name);
    const bar = h("div", { class: "wf-bar" });
    const dur = h("span", { class: "wf-dur" });
    const el = h("div", { class: "wf-row" }, label, h("div", { class: "wf-track" }, bar, dur));
    const row = { el, toggle, kind, name, label, bar, dur, node: null, index: -1, selected: false };
    el.addEventListener("click", (e) => {
      if (!row.node) return;
      if (e.target === toggle) {
        toggleCollapsed(row.node.span.id);
        return;
      }
      select(row.node.span.id);
      scroller.focus({ preventScroll: true }); // so that the arrow keys move from here
    });
    body.appendChild(el);
    pool.push(row);
    return row;
  }

  /** Writes a node into a pooled row (only what changed since the row last showed it). */
  function fill(row, node, index) {
    if (row.index !== index) {
      row.el.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      row.index = index;
    }
    const isSelected = node.span.id === selected;
    if (row.node === node && row.selected === isSelected) return;
    const s = node.span;
    if (row.node !== node) {
      row.node = node;
      const status = s.status === "error" ? " error" : s.status === "running" ? " running" : "";
      row.el.className = `wf-row${status}`;
      row.el.dataset.spanId = s.id;
      row.el.dataset.depth = String(node.depth);
      row.label.style.paddingLeft = `${Math.min(node.depth, MAX_INDENT_LEVELS) * INDENT + 4}px`;
      row.toggle.textContent = node.children > 0 ? (collapsed.has(s.id) ? "▸" : "▾") : "";
      row.toggle.classList.toggle("has-errors", node.errorsBelow > 0 && collapsed.has(s.id));
      row.toggle.title = node.children > 0 ? `${node.children} child spans` : "";
      row.kind.className = `kind kind-${/^[a-z]+$/.test(s.kind) ? s.kind : "other"}`;
      row.kind.textContent = s.kind;
      row.name.textContent = s.name;
      row.name.title = s.name;
      const left = ((node.start - t0) / total) * 100;
      const end = node.end ?? t0 + total;
      const width = Math.max(((end - node.start) / total) * 100, 0);
      row.bar.style.left = `${left}%`;
      row.bar.style.width = `${width}%`;
      row.dur.textContent = node.end === null ? "running" : duration(node.end - node.start);
      // The duration sits inside a wide bar, else right of it (left of it near the edge).
      row.dur.classList.toggle("inside", width > 14);
      if (width > 14) {
        row.dur.style.left = "";
        row.dur.style.right = `calc(${100 - left - width}% + 6px)`;
      } else if (left + width > 78) {
        row.dur.style.left = "";
        row.dur.style.right = `calc(${100 - left}% + 4px)`;
      } else {
        row.dur.style.right = "";
        row.dur.style.left = `calc(${left + width}% + 4px)`;
      }
    }
    row.selected = isSelected;
    row.el.classList.toggle("selected", isSelected);
  }

  function render() {
    frame = 0;
    const top = Math.max(0, scroller.scrollTop - axis.offsetHeight);
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(visible.length, Math.ceil((top + scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    // Rows keep the node they showed when it is still in range, so scrolling rewrites only
    // the rows that enter the view.
    const free = [];
    const kept = new Set();
    for (const row of pool) {
      if (row.index >= first && row.index < last && row.node === visible[row.index]) kept.add(row.index);
      else free.push(row);
    }
    for (let i = first; i < last; i++) {
      if (kept.has(i)) continue;
      const row = free.pop() ?? makeRow();
      row.el.hidden = false;
      fill(row, visible[i], i);
    }
    for (const row of pool) {
      if (row.index >= first && row.index < last && row.node === visible[row.index]) {
        fill(row, visible[row.index], row.index);
      }
    }
    for (const row of free) {
      row.el.hidden = true;
      row.node = null;
      row.index = -1;
    }
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function refilter() {
    visible = [];
    if (filter !== "") {
      for (const node of nodes) {
        const s = node.span;
        if (String(s.name).toLowerCase().includes(filter) || String(s.kind).includes(filter)) visible.push(node);
      }
      body.style.height = `${visible.length * ROW_HEIGHT}px`;
      for (const row of pool) row.node = null;
      return;
    }
    let skipBelow = Infinity;
    for (const node of nodes) {
      if (node.depth > skipBelow) continue;
      skipBelow = Infinity;
      visible.push(node);
      if (collapsed.has(node.span.id) && node.children > 0) skipBelow = node.depth;
    }
    body.style.height = `${visible.length * ROW_HEIGHT}px`;
    for (const row of pool) row.node = null; // toggles may have changed
  }

  function drawAxis() {
    axis.textContent = "";
    const track = h("div", { class: "wf-axis-track" });
    for (let i = 0; i <= 4; i++) {
      const tick = h("span", { class: "wf-tick" }, duration((total * i) / 4));
      tick.style.left = `${i * 25}%`;
      if (i === 4) tick.classList.add("last");
      track.appendChild(tick);
    }
    axis.append(h("div", { class: "wf-axis-label" }, `Span · ${nodes.length.toLocaleString("en-US")}`), track);
  }

  function toggleCollapsed(id) {
    if (collapsed.has(id)) collapsed.delete(id);
    else collapsed.add(id);
    refilter();
    render();
  }

  /** Selects a span (null: none), expanding its ancestors and scrolling it into view. */
  function select(id, { scroll = false, notify = true } = {}) {
    selected = id;
    if (id !== null && scroll) {
      let i = indexOf.get(id);
      let changed = false;
      while (i !== undefined) {
        const parent = nodes[i].parent;
        if (parent !== null && collapsed.delete(parent)) changed = true;
        i = parent === null ? undefined : indexOf.get(parent);
      }
      if (changed) refilter();
      const at = visible.findIndex((n) => n.span.id === id);
      if (at >= 0) {
        const y = at * ROW_HEIGHT;
        const view = scroller.clientHeight - axis.offsetHeight;
        if (y < scroller.scrollTop || y + ROW_HEIGHT > scroller.scrollTop + view) {
          scroller.scrollTop = Math.max(0, y - view / 3);
        }
      }
    }
    render();
    if (notify) onSelect(id);
  }

  scroller.addEventListener("scroll", schedule, { passive: true });
  addEventListener("resize", schedule);
  scroller.addEventListener("keydown", (e) => {
    const at = selected === null ? -1 : visible.findIndex((n) => n.span.id === selected);
    const node = at >= 0 ? visible[at] : null;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const next = Math.min(visible.length - 1, Math.max(0, at + (e.key === "ArrowDown" ? 1 : -1)));
      if (visible[next]) select(visible[next].span.id, { scroll: true });
    } else if (e.key === "ArrowLeft" && node && node.children > 0 && !collapsed.has(node.span.id)) {
      toggleCollapsed(node.span.id);
    } else if (e.key === "ArrowRight" && node && collapsed.has(node.span.id)) {
      toggleCollapsed(node.span.id);
    } else if (e.key === "Escape") {
      select(null);
    } else return;
    e.preventDefault();
  });

  return {
    /**
     * Shows a new tree (the same trace re-read keeps collapsed nodes and the selection).
     * @param {WaterfallNode[]} newNodes depth-first order
     * @param {number} start time axis start, µs
     * @param {number} end time axis end, µs
     */
    setData(newNodes, start, end) {
      nodes = newNodes;
      indexOf = new Map(nodes.map((n, i) => [n.span.id, i]));
      t0 = start;
      total = Math.max(end - start, 1);
      if (selected !== null && !indexOf.has(selected)) selected = null;
      drawAxis();
      refilter();
      render();
    },
    select,
    /**
     * Shows only the spans whose name or kind contains `text` (case-insensitive); "" for all.
     * Returns how many are shown.
     * @param {string} text
     */
    setFilter(text) {
      filter = text.trim().toLowerCase();
      refilter();
      scroller.scrollTop = 0;
      render();
      return visible.length;
    },
    /** Collapses every span with children, or expands all. */
    collapseAll(on) {
      collapsed.clear();
      if (on) { for (const n of nodes) if (n.children > 0 && n.depth > 0) collapsed.add(n.span.id); }
      refilter();
      render();
    },
    /** The rows in the DOM (for tests and timings). */
    rowCount: () => pool.filter((r) => !r.el.hidden).length,
    destroy() {
      cancelAnimationFrame(frame);
      removeEventListener("resize", schedule);
    },
  };
}
