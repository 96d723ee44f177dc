// The browser suite (tests/browser/page.test.mjs: web/index.html in headless Chromium) is a
// Node test (node:test driving Chromium through playwright-core), so `deno test` does not
// run it (deno.json excludes its folder); this file makes `deno test` name it as skipped,
// with how to run it, instead of leaving it out silently.
import { reportSkip, RUN_EVERYTHING } from "./e2e/_requires.ts";

const SUITE = "browser (tests/browser/: web/index.html in headless Chromium)";
reportSkip(SUITE, "a Node test (node:test, playwright-core), not a Deno one", RUN_EVERYTHING);
Deno.test({ name: SUITE, ignore: true, fn() {} });
