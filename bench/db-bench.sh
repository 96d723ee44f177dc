#!/usr/bin/env bash
# Runs bench/db_bench.ts against a throwaway PostgreSQL 15 cluster (see scripts/lib/pg.sh)
# holding one database per schema version, so that one run measures them side by side:
#   after    every migration (027 and up: the new write path)
#   before   the migrations up to 026 (the write path before issue 10)
#   run_fk   with --levers: up to 028 (the new write path, run_id foreign keys kept)
# Options: --only-after (just `after`), --levers (adds run_fk).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/pg.sh
ensure_deno
ensure_postgres
pg_start
pg_bootstrap # roles (cluster-wide); the `postgres` database is not used

declare -A last=([after]=999 [before]=26 [run_fk]=28)
databases=(after)
case "${1:-}" in
  --only-after) ;;
  --levers) databases+=(before run_fk) ;;
  *) databases+=(before) ;;
esac
for db in "${databases[@]}"; do
  pg_psql -c "CREATE DATABASE $db"
  pg_psql -d "$db" <<'SQL'
CREATE SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
CREATE EXTENSION pgcrypto SCHEMA extensions;
SQL
  for f in supabase/migrations/*.sql; do
    n=$(basename "$f" | cut -c1-3)
    if [[ $((10#$n)) -gt ${last[$db]} ]]; then continue; fi
    pg_psql -d "$db" --single-transaction -f "$f" >/dev/null 2>&1 || { echo "migration failed: $f on $db" >&2; exit 1; }
  done
done
BENCH_DATABASES=$(IFS=,; echo "${databases[*]}") \
  deno run --allow-read --allow-write --allow-run --allow-env --allow-net=127.0.0.1 bench/db_bench.ts
