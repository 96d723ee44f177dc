// Prompts: the list, and one prompt's versions, labels, label history and a diff between any
// two versions.
import { get, poll } from "./api.js";
import { ago, contentBlock, count, h, replace, thead, when } from "./dom.js";
import { diffLines } from "./diff.js";
import { fact } from "./sessions.js";

/**
 * The prompts page.
 * @param {HTMLElement} main
 * @param {import("./app.js").PageContext} ctx
 */
export function promptsPage(main, ctx) {
  const body = h("tbody", { id: "prompts" });
  const empty = h(
    "div",
    { class: "notice", hidden: true },
    h("h2", null, "No prompts yet"),
    h("p", null, "Prompts, their versions and labels are created from the NorthStar dashboard or its RPCs."),
  );
  const table = h(
    "table",
    { class: "grid" },
    thead("Name", "Slug", "Labels", "Updated"),
    body,
  );
  replace(main, h("h1", null, "Prompts"), empty, table);
  return poll("/api/prompts", (prompts) => {
    const list = prompts ?? [];
    empty.hidden = list.length > 0;
    table.hidden = list.length === 0;
    replace(
      body,
      list.map((p) =>
        h(
          "tr",
          { class: "link-row", dataset: { promptId: p.id }, onclick: () => (location.hash = `#/prompts/${p.id}`) },
          h("td", null, h("a", { href: `#/prompts/${p.id}` }, p.name)),
          h("td", { class: "mono" }, p.slug),
          h("td", null, Object.keys(p.labels ?? {}).sort().map((l) => h("span", { class: "label" }, l))),
          h("td", { title: p.updated_at }, ago(p.updated_at)),
        )
      ),
    );
    ctx.ready();
  }, { onError: ctx.failed, onPoll: ctx.polled });
}

/**
 * One prompt.
 * @param {HTMLElement} main
 * @param {import("./app.js").PageContext} ctx
 * @param {string} id
 */
export function promptPage(main, ctx, id) {
  let stopped = false;
  get(`/api/prompts/${id}`).then((answer) => {
    if (stopped) return;
    if (answer === null) {
      replace(
        main,
        h("div", { class: "notice bad" }, h("h2", null, "No such prompt"), h("a", { href: "#/prompts" }, "Prompts")),
      );
      ctx.ready();
      return;
    }
    render(answer.data);
    ctx.polled();
    ctx.ready();
  }).catch(ctx.failed);

  function render(p) {
    const versions = /** @type {any[]} */ (p.versions ?? []);
    const history = /** @type {any[]} */ (p.label_history ?? []);
    const number = new Map(versions.map((v) => [v.id, v.version_number]));
    /** @type {Map<string, string[]>} labels by version id */
    const labelsOf = new Map();
    for (const [label, versionId] of Object.entries(p.labels ?? {})) {
      labelsOf.set(String(versionId), [...(labelsOf.get(String(versionId)) ?? []), label]);
    }
    const versionName = (vid) => (number.has(vid) ? `v${number.get(vid)}` : String(vid).slice(0, 8));

    const from = h(
      "select",
      { id: "diff-from" },
      versions.map((v) => h("option", { value: v.id }, `v${v.version_number}`)),
    );
    const to = h(
      "select",
      { id: "diff-to" },
      versions.map((v) => h("option", { value: v.id }, `v${v.version_number}`)),
    );
    // Versions come newest first: compare the previous version with the newest by default.
    if (versions.length > 1) from.value = versions[1].id;
    const diffOut = h("pre", { class: "diff", id: "diff" });
    const showDiff = () => {
      const a = versions.find((v) => v.id === from.value);
      const b = versions.find((v) => v.id === to.value);
      if (!a || !b) return;
      replace(
        diffOut,
        diffLines(a.content, b.content).map((line) =>
          h("div", { class: line.op === "+" ? "add" : line.op === "-" ? "del" : "same" }, `${line.op} ${line.text}`)
        ),
      );
    };
    from.addEventListener("change", showDiff);
    to.addEventListener("change", showDiff);

    replace(
      main,
      h("div", { class: "crumbs" }, h("a", { href: "#/prompts" }, "Prompts"), " › ", p.name),
      h("h1", { id: "prompt-name" }, p.name, " ", h("span", { class: "mono muted" }, p.slug)),
      p.description ? h("p", null, p.description) : null,
      h(
        "dl",
        { class: "facts" },
        fact("Versions", count(versions.length)),
        fact(
          "Labels",
          h(
            "span",
            { id: "labels" },
            Object.entries(p.labels ?? {}).sort().map(([label, vid]) =>
              h("span", { class: "label", dataset: { label } }, `${label} → ${versionName(String(vid))}`)
            ),
          ),
        ),
        fact("Updated", when(p.updated_at)),
      ),
      h("h2", null, "Versions"),
      h(
        "table",
        { class: "grid", id: "versions" },
        thead("Version", "Labels", "Created", "Model", "Variables", "Change note", "Hash"),
        h(
          "tbody",
          null,
          versions.map((v) => [
            h(
              "tr",
              { dataset: { versionId: v.id } },
              h("td", null, `v${v.version_number}`),
              h("td", null, (labelsOf.get(v.id) ?? []).map((l) => h("span", { class: "label" }, l))),
              h("td", { title: v.created_at }, when(v.created_at)),
              h(
                "td",
                null,
                [
                  v.model,
                  v.temperature !== null ? `t=${v.temperature}` : null,
                  v.max_tokens ? `max ${v.max_tokens}` : null,
                ]
                  .filter(Boolean).join(" · ") || "–",
              ),
              h(
                "td",
                { class: "mono small" },
                (v.variables ?? []).map((x) => (typeof x === "string" ? x : x?.name ?? JSON.stringify(x))).join(", "),
              ),
              h("td", null, v.change_note ?? ""),
              h("td", { class: "mono small", title: v.content_hash }, String(v.content_hash).slice(0, 15)),
            ),
            h(
              "tr",
              { class: "version-content" },
              h("td", { colspan: "7" }, h("details", null, h("summary", null, "content"), contentBlock(v.content))),
            ),
          ]),
        ),
      ),
      h("h2", null, "Label history"),
      history.length === 0 ? h("p", { class: "muted" }, "No label was ever set.") : h(
        "table",
        { class: "grid", id: "label-history" },
        thead("When", "Label", "Version", "By", "Note"),
        h(
          "tbody",
          null,
          history.map((e) =>
            h(
              "tr",
              null,
              h("td", { title: e.deployed_at }, when(e.deployed_at)),
              h("td", null, h("span", { class: "label" }, e.label)),
              h("td", null, versionName(String(e.version_id))),
              h("td", null, e.deployed_by ?? ""),
              h("td", null, e.change_note ?? ""),
            )
          ),
        ),
      ),
      h("h2", null, "Compare versions"),
      versions.length === 0 ? h("p", { class: "muted" }, "No versions.") : [
        h("div", { class: "toolbar" }, "from ", from, " to ", to),
        diffOut,
      ],
    );
    showDiff();
  }
  return () => {
    stopped = true;
  };
}
