#!/usr/bin/env bash
# Builds pkg/ from src/: the wasm module and its JS/TS bindings (wasm-bindgen --target
# web, which loads in browsers, Deno and the Supabase Edge runtime).
#
#   scripts/build-pkg.sh           rebuild pkg/
#   scripts/build-pkg.sh --check   rebuild into a temporary folder and fail if pkg/ differs
#
# The build is reproducible: paths that would otherwise be baked into the module (this
# checkout, the cargo registry) are remapped, so every clone builds the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
ensure_wasm_tools

out=pkg
if [[ "${1:-}" == "--check" ]]; then
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}
# Keep in step with .cargo/config.toml (this variable replaces its rustflags).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128 --remap-path-prefix=$PWD=/northstar --remap-path-prefix=$CARGO_HOME_DIR=/cargo"
cargo build --quiet --lib --release --target wasm32-unknown-unknown
rm -rf "${out:?}"/northstar_core* "${out:?}"/snippets
wasm-bindgen --target web --out-dir "$out" --out-name northstar_core \
  target/wasm32-unknown-unknown/release/northstar_core.wasm

# The Edge Functions read the module from beside their loader, so a deployed function
# carries it as a static file inside supabase/ (see supabase/config.toml).
shared_wasm=supabase/functions/_shared/northstar_core_bg.wasm
if [[ "${1:-}" == "--check" ]]; then
  if ! cmp -s "$out/northstar_core_bg.wasm" "$shared_wasm"; then
    echo "$shared_wasm is out of date with src/: run 'deno task build' and commit it" >&2
    exit 1
  fi
  if ! diff -r "$out" pkg >/dev/null; then
    echo "pkg/ is out of date with src/: run 'deno task build' and commit pkg/" >&2
    diff -r "$out" pkg | head -20 >&2 || true
    exit 1
  fi
  echo "pkg/ matches src/"
else
  cp pkg/northstar_core_bg.wasm "$shared_wasm"
  echo "built pkg/ ($(wc -c < pkg/northstar_core_bg.wasm) bytes of wasm) and $shared_wasm"
fi
