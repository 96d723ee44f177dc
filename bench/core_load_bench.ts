/**
 * Cold start of the ingest core, in one run: each sample is a fresh `deno run` that times
 * `await import(loader)`, for
 *   - the loader as it is, `supabase/functions/_shared/core.ts`: the wasm bytes come from
 *     the generated module `northstar_core_wasm.js` (base64, decoded with
 *     `Uint8Array.fromBase64`), with no permission;
 *   - the loader as it was before (rebuilt here in a temporary file): `pkg/northstar_core.js`
 *     and `Deno.readFile` of the `.wasm` file, with `--allow-read`;
 * interleaved sample by sample (both see the same interference), twice: with Deno's module
 * cache warm (one warm-up run each first), and with an empty cache per sample (a fresh
 * DENO_DIR: every module read, transpiled and compiled anew, no V8 code cache). It prints
 * the best and median milliseconds of the import and of the whole process, and the ratios
 * of the bests.
 * In this process it also times the decode alone: `Uint8Array.fromBase64`, the `atob`
 * fallback (older Edge runtimes), and reading the `.wasm` file.
 *
 * Run: `deno task bench:load [samples]` (default 15, at most 100).
 */
import { base64ToBytes, base64ToBytesViaAtob } from "../supabase/functions/_shared/base64.ts";
import { wasmBase64 } from "../supabase/functions/_shared/northstar_core_wasm.js";

const samples = Math.min(100, Math.max(3, Number(Deno.args[0] ?? 15) || 15));
const pkgUrl = new URL("../pkg/", import.meta.url);
const coreUrl = new URL("../supabase/functions/_shared/core.ts", import.meta.url);
const tmp = await Deno.makeTempDir({ prefix: "northstar-load-bench-" });

interface Sample {
  importMs: number;
  processMs: number;
}

/** Best (minimum) and median of a list of milliseconds. */
function stats(values: number[]): { best: number; median: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { best: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
}

/** One fresh `deno run` of a probe: the milliseconds of its import and of the whole process. */
async function sample(probe: string, flags: string[], denoDir?: string): Promise<Sample> {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--no-check", ...flags, probe],
    env: denoDir ? { DENO_DIR: denoDir } : {},
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const processMs = performance.now() - start;
  if (!out.success) throw new Error(`${probe}: ${new TextDecoder().decode(out.stderr)}`);
  return { importMs: Number(new TextDecoder().decode(out.stdout)), processMs };
}

try {
  const before = `${tmp}/loader_before.ts`;
  await Deno.writeTextFile(
    before,
    `import { initSync } from "${new URL("northstar_core.js", pkgUrl)}";\n` +
      `initSync({ module: await Deno.readFile(new URL("${new URL("northstar_core_bg.wasm", pkgUrl)}")) });\n`,
  );
  // A literal specifier: Deno resolves it with the module graph, so it needs no permission
  // (a computed one would need read access to the file).
  const probeOf = async (name: string, url: string) => {
    const probe = `${tmp}/probe_${name}.ts`;
    const text = `const t = performance.now();\nawait import("${url}");\nconsole.log(performance.now() - t);\n`;
    await Deno.writeTextFile(probe, text);
    return probe;
  };
  const variants = [
    {
      name: "core.ts now (embedded base64, no permission)",
      probe: await probeOf("now", coreUrl.href),
      flags: [] as string[],
    },
    {
      name: "before (Deno.readFile of the .wasm, --allow-read)",
      probe: await probeOf("before", `file://${before}`),
      flags: ["--allow-read"],
    },
  ];

  for (const variant of variants) await sample(variant.probe, variant.flags); // warm Deno's module cache
  for (const cache of ["warm", "empty"] as const) {
    const results: Sample[][] = variants.map(() => []);
    for (let i = 0; i < samples; i++) {
      // Alternate which variant goes first, so neither always follows the other.
      for (const k of i % 2 === 0 ? [0, 1] : [1, 0]) {
        const denoDir = cache === "empty" ? await Deno.makeTempDir({ dir: tmp }) : undefined;
        results[k].push(await sample(variants[k].probe, variants[k].flags, denoDir));
        if (denoDir) await Deno.remove(denoDir, { recursive: true });
      }
    }
    console.log(`cold start of the core, module cache ${cache}: a fresh \`deno run\` per sample, ${samples} each`);
    const table = variants.map((variant, k) => {
      const imp = stats(results[k].map((s) => s.importMs));
      const proc = stats(results[k].map((s) => s.processMs));
      console.log(
        `  ${variant.name.padEnd(52)} import ${imp.best.toFixed(1)} ms best, ${imp.median.toFixed(1)} median;` +
          ` process ${proc.best.toFixed(1)} ms best, ${proc.median.toFixed(1)} median`,
      );
      return { imp, proc };
    });
    console.log(
      `  ratio now/before (bests): import ${(table[0].imp.best / table[1].imp.best).toFixed(2)},` +
        ` process ${(table[0].proc.best / table[1].proc.best).toFixed(2)}`,
    );
  }

  // The decode alone, in this process, interleaved.
  const wasmPath = new URL("northstar_core_bg.wasm", pkgUrl);
  const decoders: [string, () => unknown][] = [
    ["Uint8Array.fromBase64", () => base64ToBytes(wasmBase64)],
    ["atob fallback", () => base64ToBytesViaAtob(wasmBase64)],
    ["Deno.readFileSync of the .wasm", () => Deno.readFileSync(wasmPath)],
  ];
  const times: number[][] = decoders.map(() => []);
  for (let i = 0; i < 5; i++) decoders.forEach(([, fn]) => fn());
  for (let i = 0; i < 30; i++) {
    decoders.forEach(([, fn], k) => {
      const t = performance.now();
      fn();
      times[k].push(performance.now() - t);
    });
  }
  console.log(`bytes of the wasm (${base64ToBytes(wasmBase64).length}), 30 rounds each, interleaved`);
  for (const [k, [name]] of decoders.entries()) {
    const s = stats(times[k]);
    console.log(`  ${name.padEnd(32)} ${s.best.toFixed(2)} ms best, ${s.median.toFixed(2)} median`);
  }
} finally {
  await Deno.remove(tmp, { recursive: true });
}
