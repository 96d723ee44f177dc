#!/usr/bin/env bash
# Database tests on a throwaway PostgreSQL 15 cluster (started here, deleted on exit):
#   1. create what a Supabase project has (roles, schema extensions), apply every migration
#      in order, each in one transaction;
#   2. apply them all again: the first must fail loudly and the schema must be unchanged
#      (no half-applied migration);
#   3. save 16 versions of one prompt from 16 concurrent sessions: the numbers must be
#      exactly 1..16 (gap-free, unique) and every save must succeed;
#   4. ingest the same ids from two sessions at once (same project: both succeed and
#      merge; another project: refused as a different project's rows), and delete a run
#      while another session writes spans into it (no orphan is left), each with the JSON
#      lists (027) and with rows text (036);
#   5. run the pgTAP tests of supabase/tests/ with pg_prove.
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

# Concurrent ingests of the same ids (027): session 1 writes a batch and holds its
# transaction open; session 2 sends the same ids meanwhile (a re-send with a later status),
# waits on session 1's new rows, meets unique_violation and must redo its write as an
# upsert: both succeed, nothing is lost or duplicated. The same ids from another project
# must still be refused with the ownership message, not a unique-violation error.
pg_psql -q -c "INSERT INTO private.projects (id, name) VALUES
  ('c1c1c1c1-0000-4000-8000-000000000000', 'race'), ('c2c2c2c2-0000-4000-8000-000000000000', 'other')"
race_batch() { # $1 project, $2 span status
  echo "SELECT private.ingest_batch_with_prompt_links('$1',
    '[{\"id\":\"c1000000-0000-4000-8000-000000000001\",\"created_at\":\"2025-03-01T12:00:00Z\"}]',
    '[{\"id\":\"c1000000-0000-4000-8000-000000000002\",\"session_id\":\"c1000000-0000-4000-8000-000000000001\",\"name\":\"r\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"$2\"}]',
    '[{\"id\":\"c1000000-0000-4000-8000-000000000003\",\"run_id\":\"c1000000-0000-4000-8000-000000000002\",\"kind\":\"agent\",\"name\":\"a\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"$2\",\"attributes\":{\"$2\":1}}]',
    '[{\"id\":\"c1000000-0000-4000-8000-000000000004\",\"run_id\":\"c1000000-0000-4000-8000-000000000002\",\"span_id\":\"c1000000-0000-4000-8000-000000000003\",\"type\":\"custom\",\"created_at\":\"2025-03-01T12:00:00Z\",\"content\":\"$2\"}]',
    '[]')"
}
# The same records as rows text (036's private.ingest_prepared_rows).
race_rows_batch() { # $1 project, $2 span status
  echo "SELECT private.ingest_prepared_rows('$1',
    E'c1000000-0000-4000-8000-000000000001\t2025-03-01T12:00:00Z\t\t',
    E'c1000000-0000-4000-8000-000000000002\tc1000000-0000-4000-8000-000000000001\t\"r\"\t2025-03-01T12:00:00Z\t\t$2\t\t',
    E'c1000000-0000-4000-8000-000000000003\tc1000000-0000-4000-8000-000000000002\t\tagent\t\"a\"\t2025-03-01T12:00:00Z\t\t$2\t\t\t{\"$2\":1}',
    E'c1000000-0000-4000-8000-000000000004\tc1000000-0000-4000-8000-000000000002\tc1000000-0000-4000-8000-000000000003\tcustom\t2025-03-01T12:00:00Z\t\"$2\"\t',
    '[]', '[]', '[]')"
}
race() { # $1 project of the second session, $2 how it sends (race_batch or race_rows_batch); prints its stderr
  pg_psql -q -c "BEGIN" -c "SET ROLE service_role" -c "$(race_batch c1c1c1c1-0000-4000-8000-000000000000 running)" \
    -c "SELECT pg_sleep(1.5)" -c "COMMIT" >/dev/null 2>"$PG_DIR/race-1.err" &
  local first=$!
  sleep 0.5
  local start=$SECONDS
  pg_psql -q -c "SET ROLE service_role" -c "$(${2:-race_batch} "$1" ok)" >/dev/null 2>"$PG_DIR/race-2.err"
  race_status=$?
  race_waited=$((SECONDS - start))
  wait "$first" || race_status=99
}
for sender in race_batch race_rows_batch; do
  label=$([[ $sender == race_batch ]] && echo "JSON lists" || echo "rows text (036)")
  race c1c1c1c1-0000-4000-8000-000000000000 $sender
  stored=$(pg_psql -At -c "SELECT (SELECT count(*) FROM private.sessions WHERE id = 'c1000000-0000-4000-8000-000000000001') || ' '
    || (SELECT status || ' ' || attributes::text FROM private.spans WHERE id = 'c1000000-0000-4000-8000-000000000003') || ' '
    || (SELECT content::text FROM private.events WHERE id = 'c1000000-0000-4000-8000-000000000004') || ' '
    || (SELECT status FROM private.runs WHERE id = 'c1000000-0000-4000-8000-000000000002')")
  if [[ $race_status -eq 0 && "$stored" == '1 ok {"ok": 1, "running": 1} "ok" ok' ]]; then
    echo "concurrent ingest of the same ids ($label): both succeed and merge ($stored)"
    checks_passed=$((checks_passed + 1))
  else
    echo "concurrent ingest of the same ids ($label): status $race_status, stored: $stored" >&2
    cat "$PG_DIR"/race-*.err >&2
    checks_failed=$((checks_failed + 1))
  fi
  pg_psql -q -c "DELETE FROM private.sessions WHERE id = 'c1000000-0000-4000-8000-000000000001'"
  race c2c2c2c2-0000-4000-8000-000000000000 $sender
  # 027's upsert names no id; the reference's lookup, after the other commit, names it.
  if [[ $race_status -ne 0 && $race_status -ne 99 ]] &&
    grep -qE "session (c1000000-0000-4000-8000-000000000001 )?belongs to a different project" "$PG_DIR/race-2.err" &&
    [[ $race_waited -ge 1 ]]; then
    echo "concurrent ingest of the same ids by another project ($label): refused as a different project's rows"
    checks_passed=$((checks_passed + 1))
  else
    echo "concurrent ingest by another project ($label): status $race_status (waited ${race_waited}s)" >&2
    cat "$PG_DIR"/race-*.err >&2
    checks_failed=$((checks_failed + 1))
  fi
  pg_psql -q -c "DELETE FROM private.sessions WHERE id = 'c1000000-0000-4000-8000-000000000001'"
done
# A run deleted while a batch writes spans into it (029: no foreign key; ingest locks the
# stored runs it names): the delete waits for the batch and removes its rows too.
span_writer() { # $1 JSON or rows: one span into the stored run, as a statement
  if [[ $1 == JSON ]]; then
    echo "SELECT private.ingest_batch('c1c1c1c1-0000-4000-8000-000000000000', '[]', '[]',
      '[{\"id\":\"c1000000-0000-4000-8000-000000000013\",\"run_id\":\"c1000000-0000-4000-8000-000000000002\",\"kind\":\"tool\",\"name\":\"t\",\"started_at\":\"2025-03-01T12:00:00Z\",\"status\":\"ok\"}]')"
  else
    echo "SELECT private.ingest_prepared_rows('c1c1c1c1-0000-4000-8000-000000000000', '', '',
      E'c1000000-0000-4000-8000-000000000014\tc1000000-0000-4000-8000-000000000002\t\ttool\t\"t\"\t2025-03-01T12:00:00Z\t\tok\t\t\t',
      '', '[]', '[]', '[]')"
  fi
}
for writer in JSON rows; do
  pg_psql -q -c "SET ROLE service_role" -c "$(race_batch c1c1c1c1-0000-4000-8000-000000000000 ok)" >/dev/null
  pg_psql -q -c "BEGIN" -c "SET ROLE service_role" -c "$(span_writer $writer)" \
    -c "SELECT pg_sleep(1.5)" -c "COMMIT" >/dev/null 2>"$PG_DIR/race-1.err" &
  first=$!
  sleep 0.5
  pg_psql -q -c "DELETE FROM private.runs WHERE id = 'c1000000-0000-4000-8000-000000000002'" 2>"$PG_DIR/race-2.err"
  delete_status=$?
  wait "$first"
  first_status=$?
  orphans=$(pg_psql -At -c "SELECT (SELECT count(*) FROM private.spans s WHERE NOT EXISTS (SELECT 1 FROM private.runs r WHERE r.id = s.run_id))
    + (SELECT count(*) FROM private.events e WHERE NOT EXISTS (SELECT 1 FROM private.runs r WHERE r.id = e.run_id))")
  if [[ $delete_status -eq 0 && $first_status -eq 0 && "$orphans" == 0 ]]; then
    echo "a run deleted during an ingest into it ($writer): no orphan span or event"
    checks_passed=$((checks_passed + 1))
  else
    echo "run deleted during an ingest ($writer): delete $delete_status, ingest $first_status, orphans $orphans" >&2
    cat "$PG_DIR"/race-*.err >&2
    checks_failed=$((checks_failed + 1))
  fi
done
pg_psql -q -c "DELETE FROM private.projects WHERE id IN ('c1c1c1c1-0000-4000-8000-000000000000', 'c2c2c2c2-0000-4000-8000-000000000000')"

out=$(mktemp)
PGOPTIONS="-c search_path=extensions,public" pg_prove --ext .sql -r supabase/tests 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
total=$(grep -oE 'Tests=[0-9]+' "$out" | grep -oE '[0-9]+' || echo 0)
failed=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' "$out" | awk '{split($2, a, "/"); s += a[1]} END {print s + 0}')
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "database: $((total - failed + checks_passed)) passed; $((failed + checks_failed)) failed"
rm -f "$out"
[[ $status -eq 0 && $checks_failed -eq 0 ]]
