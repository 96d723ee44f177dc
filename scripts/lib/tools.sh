# Installs, when missing, the tools the project's scripts need, into project-local
# folders where possible (.tools/), and puts them on PATH. Sourced, not run.
# Every step is idempotent and fast when the tool is already there.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TOOLS="$ROOT/.tools"
DENO_VERSION=2.9.6
export PATH="$TOOLS/bin:$TOOLS/npm/node_modules/.bin:$HOME/.cargo/bin:$PATH"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

# The wasm-bindgen version the crate is locked to (wasm-bindgen-cli must match exactly).
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_deno() {
  if [[ -x "$TOOLS/npm/node_modules/.bin/deno" ]] && [[ "$("$TOOLS/npm/node_modules/.bin/deno" --version | head -1)" == "deno $DENO_VERSION"* ]]; then
    return
  fi
  command -v npm >/dev/null || { echo "npm is needed to install Deno (Node.js 18+)" >&2; return 1; }
  log "installing Deno $DENO_VERSION (npm package deno) into .tools/npm"
  mkdir -p "$TOOLS/npm"
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$TOOLS/npm" "deno@$DENO_VERSION" >&2
}

ensure_wasm_tools() {
  command -v cargo >/dev/null || { echo "Rust (cargo) is needed: https://rustup.rs" >&2; return 1; }
  rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target list --installed | grep -q wasm32-unknown-unknown
  local want
  want=$(wasm_bindgen_version)
  if [[ -x "$TOOLS/bin/wasm-bindgen" ]] && [[ "$("$TOOLS/bin/wasm-bindgen" --version)" == "wasm-bindgen $want" ]]; then
    return
  fi
  log "installing wasm-bindgen-cli $want into .tools (about 3 minutes, once)"
  # No --locked: its lockfile pins a crate version this registry mirror lacks.
  cargo install --quiet wasm-bindgen-cli --version "$want" --root "$TOOLS" >&2
}

PLAYWRIGHT_VERSION=1.65.1

# Headless Chromium (Debian's package) and playwright-core to drive it, for the browser test.
ensure_browser() {
  if [[ ! -x /usr/bin/chromium ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "Chromium is missing: apt-get install chromium (as root)" >&2; return 1; }
    log "installing Chromium (apt)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
  fi
  local installed="$TOOLS/browser/node_modules/playwright-core/package.json"
  if [[ -f "$installed" ]] && grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$installed"; then
    return
  fi
  log "installing playwright-core $PLAYWRIGHT_VERSION into .tools/browser"
  mkdir -p "$TOOLS/browser"
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$TOOLS/browser" \
    "playwright-core@$PLAYWRIGHT_VERSION" >&2
}

OTEL_PY_VERSION=1.45.2
OTEL_JS_PACKAGES="@opentelemetry/api@1.9.1 @opentelemetry/sdk-trace-base@2.12.1 @opentelemetry/resources@2.12.1 @opentelemetry/exporter-trace-otlp-http@0.223.1"

# The real OpenTelemetry SDKs the OTLP end-to-end tests drive (tests/e2e/otel_sdk_e2e_test.ts):
# Python's SDK with the OTLP/HTTP protobuf exporter in a venv at .tools/otel-py, and the JS
# SDK with the OTLP/HTTP JSON exporter in .tools/otel-js (its own package.json, so npm never
# walks up into the repository). Pinned versions; skipped when already there.
ensure_otel_sdks() {
  if [[ ! -x "$TOOLS/otel-py/bin/python" ]] ||
    ! "$TOOLS/otel-py/bin/pip" show opentelemetry-sdk 2>/dev/null | grep -q "^Version: $OTEL_PY_VERSION$"; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      [[ $(id -u) -eq 0 ]] || { echo "python3-venv is missing: apt-get install python3-venv (as root)" >&2; return 1; }
      log "installing python3-venv (apt)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
    fi
    log "installing the OpenTelemetry Python SDK $OTEL_PY_VERSION into .tools/otel-py"
    rm -rf "$TOOLS/otel-py"
    python3 -m venv "$TOOLS/otel-py" &&
      "$TOOLS/otel-py/bin/pip" install --quiet --disable-pip-version-check \
        "opentelemetry-sdk==$OTEL_PY_VERSION" "opentelemetry-exporter-otlp-proto-http==$OTEL_PY_VERSION" >&2 || return 1
  fi
  local js="$TOOLS/otel-js"
  if [[ ! -f "$js/node_modules/@opentelemetry/exporter-trace-otlp-http/package.json" ]] ||
    ! grep -q '"version": "0.223.1"' "$js/node_modules/@opentelemetry/exporter-trace-otlp-http/package.json"; then
    log "installing the OpenTelemetry JS SDK into .tools/otel-js"
    mkdir -p "$js"
    [[ -f "$js/package.json" ]] || echo '{"name": "otel-js-e2e-tools", "private": true}' > "$js/package.json"
    # shellcheck disable=SC2086
    npm install --silent --no-audit --no-fund --prefix "$js" $OTEL_JS_PACKAGES >&2 || return 1
    [[ -f "$js/node_modules/@opentelemetry/exporter-trace-otlp-http/package.json" ]] ||
      { echo "the OpenTelemetry JS SDK did not install into $js" >&2; return 1; }
  fi
}
