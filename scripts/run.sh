#!/usr/bin/env bash
# The main job, from a fresh clone: installs Deno if it is missing (into .tools/, from npm)
# and serves the NorthStar backend on localhost — both Edge Functions under Supabase's
# paths, on an embedded PostgreSQL (PGlite, data in .northstar/) unless SUPABASE_DB_URL
# points at a real one. It prints the endpoint, an API key, a ready curl line and the URL of
# the trace viewer (with its access token).
#
#   scripts/run.sh                    serve on http://127.0.0.1:54321
#   scripts/run.sh --port 8000        another port
#   scripts/run.sh --rotate-key       replace the API key (the old one stops working)
#
# No Rust is needed: the compiled core is committed in pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
ensure_deno
exec deno run --frozen --allow-read --allow-write --allow-env --allow-net --allow-sys scripts/serve.ts "$@"
