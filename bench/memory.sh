#!/usr/bin/env bash
# Peak memory of one ingest request per body size (bench/memory.ts) on a throwaway
# PostgreSQL 15 with every migration. NS_MEMORY_SIZES=1,8,16 (MiB) picks the sizes.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/pg.sh
ensure_deno || exit 1
ensure_postgres || exit 1
pg_start || exit 1
pg_bootstrap || exit 1
pg_migrate >/dev/null 2>&1 || { echo "migrations failed" >&2; exit 1; }
export SUPABASE_DB_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
deno run --allow-read --allow-env --allow-net --allow-run --allow-sys bench/memory.ts
