#!/usr/bin/env bash
# End-to-end tests of the Edge Functions over real HTTP against a real PostgreSQL 15
# (a throwaway cluster, as in scripts/test-db.sh). The tests may stop and restart the
# cluster (the 503 path) through NS_PG_STOP / NS_PG_START.
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
export NS_PG_STOP="runuser -u postgres -- $PG_BIN/pg_ctl -D $PG_DIR/data -m fast -w stop"
export NS_PG_START="runuser -u postgres -- $PG_BIN/pg_ctl -D $PG_DIR/data -l $PG_DIR/server.log -w -o '-h 127.0.0.1 -p $PGPORT -k $PG_DIR' start"
# The deploy shape: a copy of just supabase/ and pkg/ must hold each function's whole
# module graph and its static wasm file.
deploy=$(mktemp -d)
cp -r supabase pkg "$deploy"/
export NS_DEPLOY_COPY="$deploy"
deno test --frozen --allow-read --allow-write --allow-env --allow-net --allow-run --allow-sys tests/e2e/
status=$?
rm -rf "$deploy"
exit $status
