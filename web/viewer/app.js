// The viewer's shell: a hash router over the pages, the project name and the live indicator.
// Plain ES modules, no build step; every page is a function (main, ...params) → cleanup.
import { get, Unauthorized } from "./api.js";
import { h, replace } from "./dom.js";
import { sessionPage, sessionsPage } from "./sessions.js";
import { tracePage } from "./trace.js";
import { promptPage, promptsPage } from "./prompts.js";
import { validatePage } from "./validate.js";

const ID = "([0-9a-fA-F-]{36})";
/** @type {[RegExp, string, (main: HTMLElement, ctx: PageContext, ...params: string[]) => (() => void) | void][]} */
const ROUTES = [
  [/^#?\/?$/, "sessions", sessionsPage],
  [/^#\/sessions\/?$/, "sessions", sessionsPage],
  [new RegExp(`^#/sessions/${ID}$`), "session", sessionPage],
  [new RegExp(`^#/traces/${ID}$`), "trace", tracePage],
  [/^#\/prompts\/?$/, "prompts", promptsPage],
  [new RegExp(`^#/prompts/${ID}$`), "prompt", promptPage],
  [/^#\/validate\/?$/, "validate", validatePage],
];

/**
 * What a page gets from the shell.
 * @typedef {{ready: () => void, failed: (e: Error) => void, polled: () => void}} PageContext
 */

const main = /** @type {HTMLElement} */ (document.getElementById("view"));
const live = /** @type {HTMLElement} */ (document.getElementById("live"));
let cleanup = /** @type {(() => void) | void} */ (undefined);

/** Shows why a page cannot load; a missing token gets instructions instead of a stack. */
function failed(e) {
  document.body.dataset.state = "error";
  const message = e instanceof Unauthorized
    ? h(
      "div",
      { class: "notice bad", id: "unauthorized" },
      h("h2", null, "The viewer token is missing or wrong"),
      h("p", null, "Open the viewer URL that scripts/run.sh printed at start-up (it ends in ?token=…)."),
    )
    : h("div", { class: "notice bad" }, h("h2", null, "Something went wrong"), h("pre", null, e.message));
  const old = document.getElementById("failure");
  const box = h("div", { id: "failure" }, message);
  if (old) old.replaceWith(box);
  else main.prepend(box);
}

function polled() {
  live.textContent = `live · ${new Date().toLocaleTimeString("en-GB")}`;
  live.classList.add("on");
  document.getElementById("failure")?.remove();
}

function route() {
  cleanup?.();
  cleanup = undefined;
  const hash = location.hash || "#/";
  const found = ROUTES.find(([re]) => re.test(hash));
  document.body.dataset.state = "loading";
  replace(main);
  if (!found) {
    document.body.dataset.view = "missing";
    replace(main, h("div", { class: "notice" }, h("h2", null, "No such page"), h("a", { href: "#/" }, "Sessions")));
    document.body.dataset.state = "ready";
    return;
  }
  const [re, name, page] = found;
  document.body.dataset.view = name;
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", name.startsWith(/** @type {HTMLElement} */ (a).dataset.nav ?? "-"));
  }
  const params = /** @type {RegExpExecArray} */ (re.exec(hash)).slice(1);
  const ctx = { ready: () => (document.body.dataset.state = "ready"), failed, polled };
  try {
    cleanup = page(main, ctx, ...params);
  } catch (e) {
    failed(/** @type {Error} */ (e));
  }
}

addEventListener("hashchange", route);
route();
get("/api/project").then((r) => {
  const name = r?.data?.project_name;
  if (name) {
    document.getElementById("project").textContent = name;
    document.title = `${name} · NorthStar viewer`;
  }
}).catch(() => {/* the page shows the failure */});
