// A new user's first command, checked for real: a fresh clone of this repository's HEAD
// (committed files only: no .tools, no node_modules), Deno on PATH but no PostgreSQL and no
// Chromium, no SUPABASE_DB_URL; there, plain `deno test` (no permission at all) must pass
// with the unit suites run (the core, the handlers, prompts) and name each suite it skipped
// (PGlite, PostgreSQL, the deploy copy, scripts/run.sh, Chromium); `deno test -P`
// (deno.json's permission set) must pass with the PGlite suites run too and only the
// PostgreSQL, Chromium and subprocess suites skipped; and `deno check` must pass over every
// TypeScript file. Run by scripts/test.sh
// with its own flags (the name keeps it out of `deno test`'s own file discovery).
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url).pathname;
/** Tools a fresh machine may lack: what the skipped suites need. */
const HIDDEN = /^(psql|pg_.*|postgres|initdb|chromium.*|chromedriver|google-chrome.*|deno)$/;

async function run(command: string, args: string[], options: Deno.CommandOptions = {}) {
  const out = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped", ...options }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success, code: out.code, text };
}

/** A PATH of links to every program on this one, minus PostgreSQL, Chromium and Deno, plus this Deno. */
async function pathWithout(dir: string): Promise<string> {
  await Deno.mkdir(dir);
  const seen = new Set<string>();
  for (const folder of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!folder || folder.startsWith(root)) continue;
    try {
      for await (const entry of Deno.readDir(folder)) {
        if (seen.has(entry.name) || HIDDEN.test(entry.name) || entry.isDirectory) continue;
        seen.add(entry.name);
        await Deno.symlink(`${folder}/${entry.name}`, `${dir}/${entry.name}`);
      }
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  await Deno.symlink(Deno.execPath(), `${dir}/deno`);
  return dir;
}

/** Where `name` is on this process's PATH (spawned by that path, so `--allow-run=name` covers it). */
async function which(name: string): Promise<string> {
  for (const folder of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if ((await Deno.stat(`${folder}/${name}`)).isFile) return `${folder}/${name}`;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/** The `N passed` count of a `deno test` summary line (0 when there is none). */
function passedCount(text: string): number {
  return Number(text.match(/^ok \| (\d+) passed/m)?.[1] ?? 0);
}

/** Lines of a child's output, indented so that test.sh's tally reads only this run's totals. */
function show(title: string, text: string) {
  console.log(`${title}\n${text.trimEnd().split("\n").map((l) => `  | ${l}`).join("\n")}`);
}

Deno.test({
  name: "fresh clone: plain `deno test` passes with no PostgreSQL and no Chromium, naming what it skips",
  sanitizeResources: false,
  async fn(t) {
    const head = (await run("git", ["rev-parse", "HEAD"], { cwd: root })).text.trim();
    const dirty = (await run("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root })).text.trim();
    if (dirty) console.log(`note: uncommitted changes are not in the clone (it checks out HEAD ${head.slice(0, 12)})`);
    const tmp = await Deno.makeTempDir({ prefix: "northstar-fresh-clone-" });
    try {
      const clone = `${tmp}/northstar`;
      assert.ok((await run("git", ["clone", "--quiet", "--no-checkout", root, clone])).ok);
      const checkout = await run("git", ["checkout", "--quiet", "--detach", head], { cwd: clone });
      assert.ok(checkout.ok, checkout.text);
      const env = { PATH: await pathWithout(`${tmp}/bin`), HOME: Deno.env.get("HOME") ?? tmp, NO_COLOR: "1" };
      const bash = await which("bash");
      const sh = (script: string) => run(bash, ["-c", script], { cwd: clone, env, clearEnv: true });
      const tools = await sh("command -v deno; command -v psql pg_ctl chromium || true; echo ${SUPABASE_DB_URL-unset}");
      assert.deepEqual(tools.text.trim().split("\n"), [`${tmp}/bin/deno`, "unset"]);
      assert.equal(
        (await sh("ls -a")).text.split("\n").filter((f) => f === ".tools" || f === "node_modules").length,
        0,
      );

      let plainPassed = 0;
      await t.step("plain `deno test`: exit 0, the unit suites run, every other suite named as skipped", async () => {
        const plain = await sh("deno test");
        show("plain `deno test` in the clone:", plain.text);
        assert.ok(plain.ok, `exit ${plain.code}`);
        plainPassed = passedCount(plain.text);
        // The core (with the atob fallback), the ingest and prompts handlers on the in-memory
        // store, the prompt corpus: 30 tests when this was written.
        assert.ok(plainPassed >= 30, `only ${plainPassed} passed`);
        assert.match(plain.text, /^ok \| \d+ passed \| 0 failed/m);
        for (const file of ["core", "ingest", "prompt", "prompts"]) {
          assert.match(
            plain.text,
            new RegExp(`^running \\d+ tests? from \\./supabase/functions/_shared/${file}_test\\.ts`, "m"),
          );
        }
        // One line per suite that needs more, with what is missing and how to run it.
        const withP = "run `deno test -P` \\(deno.json's permission set\\) or scripts/test\\.sh$";
        for (
          const line of [
            `the migrations on PGlite: needs permission to read the repository .*; ${withP}`,
            `the Edge Functions end to end on PGlite: needs permission to read the repository .*; ${withP}`,
            "the Edge Functions end to end on PostgreSQL 15: no PostgreSQL server .*scripts/test\\.sh",
            "deploy shape .*: no permission to read NS_DEPLOY_COPY .*scripts/test\\.sh",
            "scripts/run\\.sh end to end: needs permission to run bash .*scripts/test\\.sh",
            "browser .*headless Chromium.*scripts/test\\.sh",
          ]
        ) {
          assert.match(plain.text, new RegExp(`^skipped: ${line}`, "m"));
        }
      });

      await t.step(
        "`deno test -P`: exit 0, the unit and PGlite suites run, PostgreSQL and Chromium skipped",
        async () => {
          const withSet = await sh("deno test -P");
          show("`deno test -P` in the clone:", withSet.text);
          assert.ok(withSet.ok, `exit ${withSet.code}`);
          // Everything plain `deno test` ran, and the two PGlite suites.
          const passed = passedCount(withSet.text);
          assert.ok(passed >= plainPassed + 2, `only ${passed} passed (${plainPassed} without permissions)`);
          assert.match(withSet.text, /^every migration applies unchanged on PGlite; .* \.\.\. ok/m);
          assert.match(withSet.text, /^the Edge Functions end to end on PGlite \.\.\. ok/m);
          assert.match(withSet.text, /^skipped: the Edge Functions end to end on PostgreSQL 15: no PostgreSQL server/m);
          assert.match(withSet.text, /^skipped: browser .*headless Chromium/m);
          // deno.lock was complete: nothing tracked changed in the clone.
          assert.equal((await sh("git status --porcelain")).text.trim(), "");
        },
      );

      await t.step("`deno check` in the clone: every TypeScript file Deno owns type-checks", async () => {
        // `deno test` type-checks the test files and what they import; this checks the rest too
        // (scripts/, bench/).
        const check = await sh("deno check");
        assert.ok(check.ok, check.text);
      });
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
