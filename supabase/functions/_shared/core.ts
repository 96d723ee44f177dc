/**
 * The NorthStar ingest core (Rust compiled to WebAssembly, generated into `pkg/`),
 * loaded once per isolate. Importing this module instantiates the wasm synchronously,
 * so every export is ready to call.
 *
 * @module
 */
import { initSync } from "../../../pkg/northstar_core.js";

// The module sits beside this file (a copy of pkg/'s, made by scripts/build-pkg.sh), so a
// deployed function carries it as a static file (supabase/config.toml).
const wasmUrl = new URL("./northstar_core_bg.wasm", import.meta.url);
initSync({ module: await Deno.readFile(wasmUrl) });

export {
  content_hash,
  default_limits,
  extract_variables,
  hash_api_key,
  parse_bearer,
  prepare_batch,
  render,
  validate_batch,
  variables_schema,
} from "../../../pkg/northstar_core.js";
export type {
  Counts,
  Limits,
  PreparedBatch,
  PrepareResult,
  RejectedBatch,
  ValidateResult,
  VariableSpec,
  Violation,
  Warnings,
} from "../../../pkg/northstar_core.js";
