/**
 * Validates ingest payload files with the wasm core, exactly as the ingest endpoint will.
 *
 *   deno task validate [--project <uuid>] [--json] [FILE ...]     (no FILE: standard input)
 *
 * Without `--project`, the rules are checked as a browser would (`validate_batch`); with
 * it, the batch is fully prepared for that project (`prepare_batch`) and a summary of the
 * prepared lists is shown. `--json` prints the raw result instead. Exit status: 0 when
 * every payload is accepted, 1 when one is refused, 2 for bad usage.
 *
 * @module
 */
import { prepare_batch, validate_batch } from "../supabase/functions/_shared/core.ts";

const args = [...Deno.args];
let project: string | undefined;
let raw = false;
const files: string[] = [];
while (args.length > 0) {
  const arg = args.shift()!;
  if (arg === "--project") project = args.shift();
  else if (arg === "--json") raw = true;
  else if (arg === "-h" || arg === "--help") {
    console.log("usage: deno task validate [--project <uuid>] [--json] [FILE ...]");
    Deno.exit(0);
  } else files.push(arg);
}

async function readAll(): Promise<Uint8Array> {
  return new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
}

let refused = 0;
for (const file of files.length > 0 ? files : ["-"]) {
  const body = file === "-" ? await readAll() : await Deno.readFile(file);
  let result;
  try {
    result = project ? prepare_batch(body, project, undefined) : validate_batch(body, undefined);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(2);
  }
  if (raw) {
    console.log(JSON.stringify(result, null, 2));
  } else if (result.ok) {
    const counts = Object.entries(result.counts).map(([k, n]) => `${n} ${k}`).join(", ");
    console.log(`${file}: accepted (${body.length} bytes): ${counts}`);
    if ("spans" in result && typeof result.spans === "string") {
      const order = JSON.parse(result.spans).map((s: { name: string }) => s.name).join(" → ");
      if (order) console.log(`  spans, parents first: ${order}`);
    }
    for (const w of result.warnings ?? []) console.log(`  repaired: ${w.path}  [${w.code}]  ${w.message}`);
    if (result.warnings_truncated) console.log(`  … ${result.warnings_total! - result.warnings!.length} more repairs`);
  } else {
    console.log(`${file}: refused with HTTP ${result.status}: ${result.error}`);
    for (const v of result.errors) console.log(`  ${v.path}  [${v.code}]  ${v.message}`);
    if (result.truncated) console.log(`  … ${result.total - result.errors.length} more`);
  }
  if (!result.ok) refused++;
}
Deno.exit(refused > 0 ? 1 : 0);
