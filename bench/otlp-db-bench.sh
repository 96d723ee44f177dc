#!/usr/bin/env bash
# Runs bench/otlp_db_bench.ts (the OTLP write vs the native one, migration 035) against a
# throwaway PostgreSQL 15 cluster (scripts/lib/pg.sh) with every migration applied.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/pg.sh
ensure_deno
ensure_postgres
pg_start
pg_bootstrap
pg_migrate >/dev/null 2>&1
SUPABASE_DB_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres" \
  deno run --allow-read --allow-env --allow-net bench/otlp_db_bench.ts
