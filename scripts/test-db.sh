#!/usr/bin/env bash
# Database tests on a throwaway PostgreSQL 15 cluster (started here, deleted on exit):
#   1. create what a Supabase project has (roles, schema extensions), apply every migration
#      in order, each in one transaction;
#   2. apply them all again: the first must fail loudly and the schema must be unchanged
#      (no half-applied migration);
#   3. run the pgTAP tests of supabase/tests/ with pg_prove.
# Ends with "pgTAP: N passed; M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/pg.sh
ensure_postgres || exit 1
pg_start || exit 1
pg_bootstrap || exit 1
pg_migrate || exit 1
echo "applied $(ls supabase/migrations/*.sql | wc -l) migrations"

# Applying twice: each file is one transaction, so a failure leaves nothing behind.
# (pg_dump's \restrict lines carry a random token each run.)
schema() { pg_dump --schema-only --no-owner | grep -vE '^\\(un)?restrict '; }
before=$(schema)
if pg_migrate >/dev/null 2>&1; then
  echo "re-applying the migrations succeeded, but they are not meant to be re-runnable" >&2
  exit 1
fi
after=$(schema)
if [[ "$before" != "$after" ]]; then
  echo "re-applying the migrations changed the schema:" >&2
  diff <(echo "$before") <(echo "$after") | head -20 >&2
  exit 1
fi
echo "re-applying the migrations fails loudly and changes nothing"

out=$(mktemp)
PGOPTIONS="-c search_path=extensions,public" pg_prove --ext .sql -r supabase/tests 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
total=$(grep -oE 'Tests=[0-9]+' "$out" | grep -oE '[0-9]+' || echo 0)
failed=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' "$out" | awk '{split($2, a, "/"); s += a[1]} END {print s + 0}')
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "pgTAP: $((total - failed)) passed; $failed failed"
rm -f "$out"
exit "$status"
