#!/usr/bin/env bash
# Every test, from a fresh clone: installs what is missing (Deno, the wasm32 target,
# wasm-bindgen-cli at the crate's exact version, PostgreSQL 15 with pgTAP, Chromium and
# playwright-core), then runs
#   - rustfmt and clippy,
#   - the native Rust tests (unit, contract, property, merge and scaling tests),
#   - a 20-second run of the fuzzer (examples/fuzz.rs, batches and OTLP exports),
#   - a rebuild of pkg/ that must match the committed one,
#   - the wasm-bindgen tests inside WebAssembly (Node runner),
#   - the database: migrations applied to a throwaway PostgreSQL 15 cluster, then pgTAP,
#   - the end-to-end tests of the Edge Functions (real HTTP, real PostgreSQL),
#   - the browser test: web/index.html imports pkg/ in headless Chromium (playwright-core),
#   - deno fmt, deno lint and the Deno tests,
#   - a fresh clone of HEAD with no PostgreSQL or Chromium on PATH, where plain `deno test`
#     and `deno test -P` must pass and name the suites they skip,
# and ends with one line summing every suite: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
export NO_COLOR=1 CARGO_TERM_COLOR=never

ensure_deno || exit 1
ensure_wasm_tools || exit 1
ensure_browser || exit 1
ensure_otel_sdks || exit 1
command -v node >/dev/null || { echo "Node.js is needed for the wasm-bindgen test runner" >&2; exit 1; }

passed=0
failed=0
broken=()
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

# Runs one suite, shows its output, and adds its test counts to the totals. A suite that
# fails without reporting counts (a build or lint error) counts as one failure.
suite() {
  local name=$1
  shift
  log "$name"
  local log_file="$log_dir/$(echo "$name" | tr -c 'a-zA-Z0-9' '_').log"
  "$@" 2>&1 | tee "$log_file"
  local status=${PIPESTATUS[0]}
  local p f
  # cargo / wasm-bindgen-test: "test result: ok. 29 passed; 0 failed; …"
  # deno: "ok | 12 passed | 0 failed" or "FAILED | 11 passed | 1 failed"
  # database (scripts/test-db.sh): "database: 57 passed; 0 failed"
  p=$(grep -E '^test result:|^(ok|FAILED) \||^database:' "$log_file" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
  f=$(grep -E '^test result:|^(ok|FAILED) \||^database:' "$log_file" | grep -oE '[0-9]+ failed' | awk '{s+=$1} END {print s+0}')
  # node --test --test-reporter=tap: "# pass 3" / "# fail 0"
  p=$((p + $(grep -E '^# pass [0-9]+$' "$log_file" | awk '{s+=$3} END {print s+0}')))
  f=$((f + $(grep -E '^# fail [0-9]+$' "$log_file" | awk '{s+=$3} END {print s+0}')))
  if [[ $status -ne 0 && $f -eq 0 ]]; then
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  if [[ $status -ne 0 ]]; then
    broken+=("$name")
  fi
}

suite "rustfmt" cargo fmt --check
suite "clippy" cargo clippy --quiet --all-targets -- -D warnings
suite "Rust tests (native)" cargo test --quiet
# The fuzzer (examples/fuzz.rs) for 20 s, debug build (debug assertions on); it prints
# the seed, and on a failure saves the input under target/fuzz-failures/.
suite "fuzz: prepare_batch / validate_batch invariants, OTLP fast path vs reference (20 s)" \
  cargo run --quiet --example fuzz -- --seconds 20
suite "pkg/ is up to date with src/" bash scripts/build-pkg.sh --check
suite "wasm-bindgen tests (in WebAssembly, Node runner)" \
  env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown --test wasm --test wasm_otlp
suite "database: migrations and pgTAP on a throwaway PostgreSQL" bash scripts/test-db.sh
suite "end to end: the Edge Functions over HTTP on a throwaway PostgreSQL" bash scripts/test-e2e.sh
suite "browser: web/index.html and the viewer (web/viewer/ on the local server) in headless Chromium" node --test --test-reporter=tap tests/browser/
suite "deno fmt" deno fmt --check
suite "deno lint" deno lint
suite "Deno tests" deno test --frozen -P supabase/functions bench
suite "fresh clone: plain deno test (no PostgreSQL, no Chromium on PATH)" \
  deno test --frozen --allow-read --allow-write --allow-env=PATH,HOME --allow-run=git,bash tests/fresh_clone_check.ts

echo
if [[ ${#broken[@]} -gt 0 ]]; then
  echo "failing: ${broken[*]}"
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && ${#broken[@]} -eq 0 ]]
