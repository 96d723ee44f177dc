// What `deno test` runs at the repository root (deno.json "test.include" names only this
// file). Deno grants deno.json's permission set only when asked (`deno test -P`); plain
// `deno test` runs with no permission at all, and every suite here reads the repository
// (the wasm core, fixtures, migrations). So: with read access to the repository, this file
// imports every test file under the root, which registers its tests as if Deno had found
// it; without, it imports none and prints one line per skipped suite saying how to run it.
// Files named on the command line (`deno test -P tests/e2e/`) bypass this file. Deno
// type-checks only what it finds statically, so the files imported here are checked by
// `deno check` (deno task check), not by `deno test -P`.
import { granted, reportSkip, RUN_EVERYTHING } from "./e2e/_requires.ts";

const root = new URL("../", import.meta.url);

/** Folders that hold no Deno test: build output, tools, data, and the Node browser suite. */
const SKIPPED_DIRS = new Set([
  ".git",
  ".tools",
  ".northstar",
  ".bench",
  ".pgtest",
  "node_modules",
  "target",
  "pkg",
  "tests/browser",
  "tests/fixtures",
]);

/** Deno's own test file names: `test.ts`, `*_test.ts`, `*.test.ts` (and the js/jsx/tsx/mts kin). */
const TEST_FILE = /(^|[._])test\.(ts|tsx|mts|js|jsx|mjs)$/;

async function testFiles(dir: URL, relative = ""): Promise<URL[]> {
  const found: URL[] = [];
  const entries = [];
  for await (const entry of Deno.readDir(dir)) entries.push(entry);
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const entry of entries) {
    const path = relative + entry.name;
    if (entry.isDirectory && !SKIPPED_DIRS.has(path)) {
      found.push(...await testFiles(new URL(`${entry.name}/`, dir), `${path}/`));
    } else if (entry.isFile && TEST_FILE.test(entry.name)) {
      const url = new URL(entry.name, dir);
      if (url.href !== import.meta.url) found.push(url);
    }
  }
  return found;
}

const BROWSER = "browser (tests/browser/: web/index.html in headless Chromium)";
const BROWSER_WHY = "a Node test (node:test, playwright-core), not a Deno one";

if (granted({ name: "read", path: root })) {
  for (const file of await testFiles(root)) {
    try {
      await import(file.href);
    } catch (error) {
      // One broken file fails as one test; the other suites still run.
      Deno.test(`${file.pathname.slice(root.pathname.length)} loads`, () => {
        throw error;
      });
    }
  }
  reportSkip(BROWSER, BROWSER_WHY, RUN_EVERYTHING);
  Deno.test({ name: BROWSER, ignore: true, fn() {} });
} else {
  const noPermission = "no permission to read the repository (plain `deno test` has none)";
  const withP = "run `deno test -P` (deno.json's permission set) or scripts/test.sh";
  const suites = [
    "Deno unit tests (supabase/functions/**/*_test.ts: wasm core, handlers, PGlite migrations)",
    "end to end (tests/e2e/: the Edge Functions over HTTP on PGlite and PostgreSQL 15, scripts/run.sh)",
  ];
  for (const suite of suites) {
    reportSkip(suite, noPermission, withP);
    Deno.test({ name: suite, ignore: true, fn() {} });
  }
  reportSkip(BROWSER, BROWSER_WHY, RUN_EVERYTHING);
  Deno.test({ name: BROWSER, ignore: true, fn() {} });
}
