-- 029 the last per-row foreign keys of the hot tables, spans_run_id_fkey and
-- events_run_id_fkey, are replaced by what ingest_batch already does set-based plus one
-- statement-level trigger (issue 10; database.md decision 8). Pinned names that change:
-- spans_run_id_fkey, events_run_id_fkey (dropped).
--
-- Each key cost one trigger query per inserted row (about 3–16 µs each, as much as the
-- row's own insert for an event). What they gave, and what gives it now:
--   * a span's or event's run exists (in the same project): ingest_batch refuses a batch
--     whose run is neither stored nor in the batch ("run … not found for project"), and
--     it is the only writer (028 took INSERT and UPDATE from service_role);
--   * a run deleted while a batch writes into it cannot leave orphans: ingest_batch's
--     lookup locks the stored runs the batch names FOR KEY SHARE (once per run, not per
--     row), as the key's check did, so the delete waits for the batch and then removes its
--     rows too;
--   * deleting a run (or its session or project, which cascade to runs) deletes its spans
--     and events: the trigger below, once per statement, by the run_id indexes.

ALTER TABLE private.spans DROP CONSTRAINT spans_run_id_fkey;
ALTER TABLE private.events DROP CONSTRAINT events_run_id_fkey;

CREATE FUNCTION private.runs_delete_cascade() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  DELETE FROM private.events WHERE run_id IN (SELECT id FROM gone_runs);
  DELETE FROM private.spans WHERE run_id IN (SELECT id FROM gone_runs);
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION private.runs_delete_cascade() FROM PUBLIC, anon, authenticated;
CREATE TRIGGER runs_delete_cascade AFTER DELETE ON private.runs
  REFERENCING OLD TABLE AS gone_runs FOR EACH STATEMENT EXECUTE FUNCTION private.runs_delete_cascade();
