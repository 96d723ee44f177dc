#!/usr/bin/env bash
# Runs bench/db_bench.ts against a throwaway PostgreSQL 15 cluster (see scripts/lib/pg.sh)
# holding two databases side by side, so that one run measures both write paths:
#   before   the migrations up to 026 (the write path before issue 10)
#   after    every migration (027 and up: the new write path)
# Options: --only-after skips the `before` database (faster).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/pg.sh
ensure_deno
ensure_postgres
pg_start
pg_bootstrap # roles (cluster-wide) and the `postgres` database's extensions schema

databases=(after)
[[ "${1:-}" == "--only-after" ]] || databases+=(before)
for db in "${databases[@]}"; do
  if [[ $db != postgres ]]; then
    pg_psql -c "CREATE DATABASE $db"
    pg_psql -d "$db" <<'SQL'
CREATE SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
CREATE EXTENSION pgcrypto SCHEMA extensions;
SQL
  fi
  for f in supabase/migrations/*.sql; do
    n=$(basename "$f" | cut -c1-3)
    if [[ $db == before && $((10#$n)) -gt 26 ]]; then continue; fi
    pg_psql -d "$db" --single-transaction -f "$f" >/dev/null 2>&1 || { echo "migration failed: $f on $db" >&2; exit 1; }
  done
done
BENCH_DATABASES=$(IFS=,; echo "${databases[*]}") \
  deno run --allow-read --allow-write --allow-run --allow-env bench/db_bench.ts
