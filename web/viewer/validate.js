// Validate a batch in the page with the ingest endpoint's own validator (pkg/, WebAssembly):
// paste it or drop a file, and see every violation with its JSON path.
import { count, h, replace, thead } from "./dom.js";

/** @type {Promise<typeof import("../../pkg/northstar_core.js")> | null} */
let core = null;

/** Loads pkg/ once; `init()` fetches the .wasm next to the module. */
function loadCore() {
  core ??= import("/pkg/northstar_core.js").then(async (m) => {
    await m.default();
    return m;
  });
  return core;
}

/**
 * The validate page.
 * @param {HTMLElement} main
 * @param {import("./app.js").PageContext} ctx
 */
export function validatePage(main, ctx) {
  const input = h("textarea", {
    id: "batch",
    spellcheck: "false",
    placeholder: "Paste an ingest batch (JSON), or drop a file here",
  });
  const verdict = h("div", { id: "verdict" });
  const run = async () => {
    const { validate_batch } = await loadCore();
    const result = validate_batch(input.value, undefined);
    if (result.ok) {
      replace(
        verdict,
        h(
          "p",
          { class: "ok", id: "verdict-line" },
          "Accepted: ",
          Object.entries(result.counts).map(([k, v]) => `${count(v)} ${k}`).join(", "),
        ),
      );
      return;
    }
    replace(
      verdict,
      h(
        "p",
        { class: "bad", id: "verdict-line" },
        `Refused (HTTP ${result.status}): ${count(result.total)} violation${result.total === 1 ? "" : "s"}`,
        result.truncated ? ` (the first ${count(result.errors.length)} shown)` : "",
      ),
      h(
        "table",
        { class: "grid", id: "violations" },
        thead("Path", "Code", "Message"),
        h(
          "tbody",
          null,
          result.errors.map((v) =>
            h(
              "tr",
              null,
              h("td", { class: "mono" }, v.path),
              h("td", { class: "mono" }, v.code),
              h("td", null, v.message),
            )
          ),
        ),
      ),
    );
  };
  const button = h("button", {
    type: "button",
    id: "validate",
    class: "primary",
    onclick: () => run().catch(ctx.failed),
  }, "Validate");
  const drop = h("div", { class: "drop", id: "drop" }, input);
  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
  }
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = /** @type {DragEvent} */ (e).dataTransfer?.files?.[0];
    if (!file) return;
    input.value = await file.text();
    await run().catch(ctx.failed);
  });
  replace(
    main,
    h("h1", null, "Validate a batch"),
    h(
      "p",
      { class: "muted" },
      "The validator the ingest endpoint runs (the NorthStar core, WebAssembly), here in the page: every violation is listed with its JSON path. Nothing is sent anywhere.",
    ),
    drop,
    h("div", { class: "toolbar" }, button),
    verdict,
  );
  loadCore().then(() => {
    document.body.dataset.core = "ready";
    ctx.ready();
  }).catch(ctx.failed);
}
