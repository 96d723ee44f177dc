// What `supabase functions deploy` ships: each function's module graph from its entry point,
// plus the static files config.toml lists. In a copy of only supabase/ and pkg/ (made by
// scripts/test-e2e.sh), every module must resolve and the wasm core must load.
import assert from "node:assert/strict";
import { readVariable, requirePermissions, requireVariable } from "./_requires.ts";

const SUITE = "deploy shape (supabase/ + pkg/ alone)";
const copy = readVariable("NS_DEPLOY_COPY");
const ignore = requireVariable(SUITE, "NS_DEPLOY_COPY", "scripts/test-e2e.sh makes the copy") ||
  requirePermissions(SUITE, "to run deno and write into the copy", { name: "run" }, { name: "write", path: copy });

async function deno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: copy, env, stdout: "piped", stderr: "piped" })
    .output();
  return {
    ok: out.success,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

for (const fn of ["ingest-traces", "prompts"]) {
  Deno.test({
    name: `${fn}: its module graph resolves inside supabase/ + pkg/ alone`,
    ignore,
    async fn() {
      const info = await deno(["info", "--json", `supabase/functions/${fn}/index.ts`]);
      assert.ok(info.ok, info.stderr);
      const graph = JSON.parse(info.stdout);
      const local = graph.modules.filter((m: { specifier: string }) => m.specifier.startsWith("file://"));
      for (const m of local) {
        assert.ok(m.specifier.startsWith(`file://${copy}/supabase/`) || m.specifier.startsWith(`file://${copy}/pkg/`));
        assert.equal(m.error, undefined, `${m.specifier}: ${m.error}`);
      }
      assert.ok(local.some((m: { specifier: string }) => m.specifier.endsWith("pkg/northstar_core.js")));
      const check = await deno(["check", `supabase/functions/${fn}/index.ts`]);
      assert.ok(check.ok, check.stderr);
    },
  });
}

Deno.test({
  name: "the static wasm file config.toml lists exists and the core loads from it",
  ignore,
  async fn() {
    const config = await Deno.readTextFile(`${copy}/supabase/config.toml`);
    const statics = [...config.matchAll(/static_files = \["([^"]+)"\]/g)].map((m) => m[1]);
    assert.equal(statics.length, 2);
    for (const path of statics) assert.ok((await Deno.stat(`${copy}/supabase/${path}`)).isFile, path);
    const script =
      `import { hash_api_key } from "./supabase/functions/_shared/core.ts"; console.log(hash_api_key("test"));`;
    await Deno.writeTextFile(`${copy}/probe.ts`, script);
    const run = await deno(["run", "--allow-read", "probe.ts"]);
    assert.ok(run.ok, run.stderr);
    assert.equal(run.stdout.trim(), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  },
});
