// What `supabase functions deploy` ships: each function's module graph from its entry point
// (plus the static files config.toml would list: none, the wasm bytes are a module of the
// graph). In a copy of only supabase/ and pkg/ (made by scripts/test-e2e.sh), every module
// must resolve and the wasm core must load with no permission at all (so without any file).
import assert from "node:assert/strict";
import { readVariable, requirePermissions, requireVariable } from "./_requires.ts";

const SUITE = "deploy shape (supabase/ + pkg/ alone)";
const copy = readVariable("NS_DEPLOY_COPY");
const ignore = requireVariable(SUITE, "NS_DEPLOY_COPY", "scripts/test-e2e.sh makes the copy") ||
  requirePermissions(SUITE, "to run deno and write into the copy", { name: "run" }, { name: "write", path: copy });

async function deno(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: copy,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
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
      for (const module of ["pkg/northstar_core.js", "supabase/functions/_shared/northstar_core_wasm.js"]) {
        assert.ok(local.some((m: { specifier: string }) => m.specifier.endsWith(module)), `${module} in the graph`);
      }
      const check = await deno(["check", `supabase/functions/${fn}/index.ts`]);
      assert.ok(check.ok, check.stderr);
    },
  });
}

Deno.test({
  name: "the core loads in the copy with no permission, so from its module graph alone (no static file)",
  ignore,
  async fn() {
    const config = await Deno.readTextFile(`${copy}/supabase/config.toml`);
    assert.doesNotMatch(config, /static_files/, "nothing needs shipping beside the module graph");
    const script =
      `import { hash_api_key } from "./supabase/functions/_shared/core.ts"; console.log(hash_api_key("test"));`;
    await Deno.writeTextFile(`${copy}/probe.ts`, script);
    const run = await deno(["run", "--no-prompt", "probe.ts"]);
    assert.ok(run.ok, run.stderr);
    assert.equal(run.stdout.trim(), "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
  },
});
