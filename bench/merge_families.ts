// Times `prepare_batch` in wasm on the crafted families written by
// `cargo run --release --example merge_bench -- --write DIR`, each against its plain twin
// of the same size, interleaved, best of N, and prints ns/byte and their ratio: the
// scaling test's figures in WebAssembly.
//
//   deno run --allow-read bench/merge_families.ts DIR [PKG_DIR] [REPS]
//
// PKG_DIR (default: this checkout's pkg/) lets the same files be timed on another build,
// e.g. a checkout of the code before a change.
const [dir, pkgArg, repsArg] = Deno.args;
if (!dir) throw new Error("usage: merge_families.ts DIR [PKG_DIR] [REPS]");
const pkgDir = pkgArg || new URL("../pkg", import.meta.url).pathname;
const reps = Number(repsArg ?? 5);
const core = await import(`file://${pkgDir}/northstar_core.js`);
core.initSync({ module: await Deno.readFile(`${pkgDir}/northstar_core_bg.wasm`) });
const project = "7b897f13-dad3-41d8-945b-94358423ab85";

/** Seconds for one `prepare_batch` call, which must accept the batch. */
function seconds(body: Uint8Array): number {
  const t = performance.now();
  const result = core.prepare_batch(body, project, undefined);
  const elapsed = (performance.now() - t) / 1000;
  if (!result.ok) throw new Error(`refused: ${result.error}`);
  return elapsed;
}

console.log(`${"family".padEnd(10)} ${"bytes".padStart(9)} ${"ns/byte".padStart(10)} ${"plain".padStart(8)} ratio`);
for (let k = 0;; k++) {
  let family: Uint8Array, plain: Uint8Array;
  try {
    family = await Deno.readFile(`${dir}/family-${k}.json`);
    plain = await Deno.readFile(`${dir}/plain-${k}.json`);
  } catch {
    break;
  }
  let bestFamily = Infinity, bestPlain = Infinity;
  for (let i = 0; i < reps; i++) {
    bestFamily = Math.min(bestFamily, seconds(family));
    bestPlain = Math.min(bestPlain, seconds(plain));
  }
  const familyNs = bestFamily * 1e9 / family.length, plainNs = bestPlain * 1e9 / plain.length;
  console.log(
    `family-${k}`.padEnd(10),
    String(family.length).padStart(9),
    familyNs.toFixed(2).padStart(10),
    plainNs.toFixed(2).padStart(8),
    (familyNs / plainNs).toFixed(2),
  );
}
