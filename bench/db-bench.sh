#!/usr/bin/env bash
# Runs bench/db_bench.ts against a throwaway PostgreSQL 15 cluster (see scripts/lib/pg.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/pg.sh
ensure_deno
ensure_postgres
pg_start
pg_bootstrap
pg_migrate
deno run --allow-read --allow-write --allow-run --allow-env bench/db_bench.ts
