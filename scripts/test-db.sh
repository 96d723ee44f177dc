#!/usr/bin/env bash
# Database tests on a throwaway PostgreSQL 15 cluster (started here, deleted on exit):
#   1. create what a Supabase project has (roles, schema extensions), apply every migration
#      in order, each in one transaction;
#   2. apply them all again: the first must fail loudly and the schema must be unchanged
#      (no half-applied migration);
#   3. save 16 versions of one prompt from 16 concurrent sessions: the numbers must be
#      exactly 1..16 (gap-free, unique) and every save must succeed;
#   4. run the pgTAP tests of supabase/tests/ with pg_prove.
# Ends with "database: N passed; M failed" (the checks above and every pgTAP test).
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

# Concurrent saves of one prompt's versions (needs real parallel sessions, so not pgTAP).
checks_passed=0
checks_failed=0
pg_psql -q <<'SQL'
INSERT INTO private.projects (id, name) VALUES ('c0c0c0c0-0000-4000-8000-000000000000', 'concurrency');
INSERT INTO private.prompts (id, project_id, name, slug)
VALUES ('c0c0c0c0-0000-4000-8000-0000000000aa', 'c0c0c0c0-0000-4000-8000-000000000000', 'c', 'c');
SQL
pids=()
for i in $(seq 1 16); do
  pg_psql -q -c "SET ROLE service_role; SELECT public.dashboard_create_prompt_version(
    'c0c0c0c0-0000-4000-8000-000000000000', 'c0c0c0c0-0000-4000-8000-0000000000aa', 'version $i {{ x }}')" \
    >/dev/null 2>"$PG_DIR/concurrent-$i.err" &
  pids+=($!)
done
saves_failed=0
for pid in "${pids[@]}"; do wait "$pid" || saves_failed=$((saves_failed + 1)); done
numbers=$(pg_psql -At -c "SELECT string_agg(version_number::text, ',' ORDER BY version_number)
  FROM private.prompt_versions WHERE prompt_id = 'c0c0c0c0-0000-4000-8000-0000000000aa'")
if [[ $saves_failed -eq 0 && "$numbers" == "$(seq -s, 1 16)" ]]; then
  echo "16 concurrent version saves: numbered 1..16, none failed"
  checks_passed=$((checks_passed + 1))
else
  echo "concurrent version saves: $saves_failed failed; numbers: $numbers" >&2
  cat "$PG_DIR"/concurrent-*.err >&2
  checks_failed=$((checks_failed + 1))
fi
pg_psql -q -c "DELETE FROM private.projects WHERE id = 'c0c0c0c0-0000-4000-8000-000000000000'"

out=$(mktemp)
PGOPTIONS="-c search_path=extensions,public" pg_prove --ext .sql -r supabase/tests 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
total=$(grep -oE 'Tests=[0-9]+' "$out" | grep -oE '[0-9]+' || echo 0)
failed=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' "$out" | awk '{split($2, a, "/"); s += a[1]} END {print s + 0}')
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "database: $((total - failed + checks_passed)) passed; $((failed + checks_failed)) failed"
rm -f "$out"
[[ $status -eq 0 && $checks_failed -eq 0 ]]
