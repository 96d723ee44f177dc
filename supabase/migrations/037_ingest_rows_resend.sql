-- 037 re-sent batches on the rows fast path (issue 10). Until now a batch whose events were
-- stored — the SDK sending a batch again after a lost answer or a timeout, the moment a
-- server is already slow — left 036's fast path for the reference, through a rows → JSON
-- conversion: 0.73–0.82× the time of the JSON function, and every event written again.
--
-- Now private.ingest_rows_fast takes p_resend. Without it (fresh batches) it is 036's
-- statement, unchanged but for the events' keys kept for the checks. With it, the events
-- are split once and probed by primary key; new ones are inserted, stored ones merged as
-- 027 merges them (content replaced, attributes merged) only where that changes them, after
-- the checks the reference makes of them (complete, same project, run and span; a stored
-- event's type is not checked there either: it keeps its own). An identical retry
-- writes no row at all (sessions, runs and spans already merged only what changes). A
-- stored event of another project, or sent with another run or span, two events with one
-- id, or an event inserted concurrently send the batch to the reference, as every other
-- problem does: refusals stay the reference's by construction.
--
-- private.ingest_rows chooses: the re-send branch when the first event is stored (one
-- probe, as 036), else the fresh branch, and the re-send branch once more if the fresh one
-- meets a stored row (unique_violation); then the reference.

DROP FUNCTION private.ingest_rows_fast(uuid, text, text, text, text);

CREATE FUNCTION private.ingest_rows_fast(p_project_id uuid, p_sessions text, p_runs text, p_spans text,
  p_events text, p_resend boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = ''
-- Every table access is a primary-key probe for ids the batch names (027 says why).
SET enable_seqscan = off
-- The checks join lists of thousands of rows that the planner estimates at 1,000 (a
-- function's default): it picks merge joins, sorting both sides; a hash join costs half.
SET enable_mergejoin = off
-- string_to_table keeps a list's lines in a tuplestore, which goes to disk past work_mem
-- (4 MB by default: the events of a 10,000-record batch). In memory it costs half.
SET work_mem = '64MB'
-- The plan does not depend on the values (a project id, four texts): planned once per
-- connection, not for each of its first five calls as plpgsql does by default.
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_fast boolean;
BEGIN
  -- The lists are never assigned to (a copy of megabytes); a NULL one is read as no rows.
  WITH
  -- Sessions and runs (few) are parsed once, here; a row with the wrong number of fields
  -- gets a NULL id, which the checks refuse.
  ses AS MATERIALIZED (
    SELECT CASE WHEN cardinality(a) = 4 THEN nullif(a[1], '')::uuid END AS id,
      nullif(a[2], '')::timestamptz AS created_at, nullif(a[3], '')::timestamptz AS ended_at,
      nullif(nullif(a[4], '')::jsonb, 'null') AS metadata
    FROM string_to_table(p_sessions, E'\n') AS l, string_to_array(l, E'\t') AS a),
  run AS MATERIALIZED (
    SELECT CASE WHEN cardinality(a) = 8 THEN nullif(a[1], '')::uuid END AS id, nullif(a[2], '')::uuid AS session_id,
      nullif(a[3], '')::jsonb #>> '{}' AS name, nullif(a[4], '')::timestamptz AS started_at,
      nullif(a[5], '')::timestamptz AS ended_at, nullif(a[6], '') AS status,
      nullif(nullif(a[7], '')::jsonb, 'null') AS error, nullif(nullif(a[8], '')::jsonb, 'null') AS metadata
    FROM string_to_table(p_runs, E'\n') AS l, string_to_array(l, E'\t') AS a),
  -- Spans are parsed once, here, with their place in the list (a row with the wrong
  -- number of fields gets a NULL id, which the checks refuse). The SDK sends a span again
  -- when it changes (running, then ended, in a later batch), so stored spans are common:
  -- one primary-key probe of the batch's span ids splits them into new ones (INSERT) and
  -- stored ones (027's merge by UPDATE).
  spa AS MATERIALIZED (
    SELECT CASE WHEN cardinality(a) = 11 THEN nullif(a[1], '')::uuid END AS id, nullif(a[2], '')::uuid AS run_id,
      nullif(a[3], '')::uuid AS parent_span_id, nullif(a[4], '') AS kind, nullif(a[5], '')::jsonb #>> '{}' AS name,
      nullif(a[6], '')::timestamptz AS started_at, nullif(a[7], '')::timestamptz AS ended_at,
      nullif(a[8], '') AS status, nullif(nullif(a[9], '')::jsonb, 'null') AS error,
      nullif(a[10], '')::integer AS iteration, nullif(nullif(a[11], '')::jsonb, 'null') AS attributes, l.n
    FROM string_to_table(p_spans, E'\n') WITH ORDINALITY AS l(line, n), string_to_array(l.line, E'\t') AS a),
  sp_self AS MATERIALIZED (
    SELECT t.id, t.project_id, t.run_id FROM private.spans t WHERE t.id = ANY (ARRAY(SELECT s.id FROM spa s))),
  sp_new AS (
    INSERT INTO private.spans (id, run_id, project_id, parent_span_id, kind, name, started_at, ended_at, status,
      error, iteration, attributes)
    SELECT s.id, s.run_id, p_project_id, s.parent_span_id, s.kind, s.name, s.started_at, s.ended_at, s.status,
      s.error, s.iteration, COALESCE(s.attributes, '{}'::jsonb)
    FROM spa s WHERE NOT EXISTS (SELECT 1 FROM sp_self o WHERE o.id = s.id)),
  -- 027's merge of a stored span (status never moves back to running), writing only the
  -- rows it changes; a stored span keeps its run and parent.
  sp_upd AS (
    UPDATE private.spans t SET ended_at = COALESCE(s.ended_at, t.ended_at),
      status = CASE WHEN t.status <> 'running' AND s.status = 'running' THEN t.status ELSE s.status END,
      error = COALESCE(s.error, t.error), attributes = t.attributes || COALESCE(s.attributes, '{}'::jsonb)
    FROM spa s
    WHERE t.id = ANY (ARRAY(SELECT o.id FROM sp_self o WHERE o.project_id = p_project_id)) AND t.id = s.id
      AND (t.ended_at IS DISTINCT FROM COALESCE(s.ended_at, t.ended_at)
        OR t.status <> CASE WHEN t.status <> 'running' AND s.status = 'running' THEN t.status ELSE s.status END
        OR t.error IS DISTINCT FROM COALESCE(s.error, t.error)
        OR t.attributes <> t.attributes || COALESCE(s.attributes, '{}'::jsonb))),
  -- Events of a fresh batch (NOT p_resend): plain INSERTs straight from the text (required
  -- fields cast without nullif: an empty one fails the cast, or the column's NOT NULL); a
  -- stored one raises unique_violation, and ingest_rows calls again with p_resend. Only
  -- their keys are kept, for the checks.
  ev_new AS (
    INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
    SELECT CASE WHEN cardinality(a) = 7 THEN a[1]::uuid END, a[2]::uuid, nullif(a[3], '')::uuid, p_project_id,
      a[4], a[5]::timestamptz, COALESCE(nullif(a[6], '')::jsonb, 'null'::jsonb),
      COALESCE(nullif(nullif(a[7], '')::jsonb, 'null'), '{}'::jsonb)
    FROM string_to_table(p_events, E'\n') AS l, string_to_array(l, E'\t') AS a
    WHERE NOT p_resend
    RETURNING run_id, span_id),
  -- Events of a batch sent again (p_resend: an SDK retry after a lost answer, or a batch
  -- that overlaps a stored one). Every branch below is gated on p_resend: a fresh batch
  -- runs none of it. The lines are split once; one primary-key probe of their ids finds
  -- the stored ones.
  ev_line AS MATERIALIZED (
    SELECT CASE WHEN cardinality(a) = 7 THEN a[1]::uuid END AS id, a
    FROM string_to_table(p_events, E'\n') AS l, string_to_array(l, E'\t') AS a
    WHERE p_resend),
  ev_self AS MATERIALIZED (
    SELECT t.id, t.project_id, t.run_id, t.span_id FROM private.events t
    WHERE t.id = ANY (ARRAY(SELECT e.id FROM ev_line e))),
  -- New events by plain INSERT (a concurrent batch inserting one of them raises
  -- unique_violation, and the reference decides).
  ev_ins AS (
    INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
    SELECT e.id, e.a[2]::uuid, nullif(e.a[3], '')::uuid, p_project_id, e.a[4], e.a[5]::timestamptz,
      COALESCE(nullif(e.a[6], '')::jsonb, 'null'::jsonb), COALESCE(nullif(nullif(e.a[7], '')::jsonb, 'null'), '{}'::jsonb)
    FROM ev_line e WHERE NOT EXISTS (SELECT 1 FROM ev_self o WHERE o.id = e.id)),
  -- 027's merge of a stored event (content replaced, attributes merged), writing only the
  -- rows it changes: an identical retry writes no event at all. Stored events of another
  -- project, or sent with another run or span, are left to the reference (checks below).
  -- Their new values are computed once, here, whatever join the UPDATE uses.
  ev_old AS MATERIALIZED (
    SELECT e.id, COALESCE(nullif(e.a[6], '')::jsonb, 'null'::jsonb) AS content,
      COALESCE(nullif(nullif(e.a[7], '')::jsonb, 'null'), '{}'::jsonb) AS attributes
    FROM ev_line e JOIN ev_self o ON o.id = e.id WHERE o.project_id = p_project_id),
  ev_upd AS (
    UPDATE private.events t SET content = x.content, attributes = t.attributes || x.attributes
    FROM ev_old x
    WHERE t.id = ANY (ARRAY(SELECT x.id FROM ev_old x)) AND t.id = x.id
      AND (t.content IS DISTINCT FROM x.content OR t.attributes <> t.attributes || x.attributes)),
  -- Every event's run and span as the batch sends them (for the checks).
  ev AS (
    SELECT e.run_id, e.span_id FROM ev_new e
    UNION ALL SELECT e.a[2]::uuid, nullif(e.a[3], '')::uuid FROM ev_line e),
  -- Each span numbered by its place in the list: every new span's in-batch parent must come
  -- first, which proves the new links acyclic (stored spans keep their parents, whose
  -- ancestors are stored).
  sp_num AS (SELECT s.id, s.run_id, s.parent_span_id, s.n, o.id IS NOT NULL AS stored
    FROM spa s LEFT JOIN sp_self o ON o.id = s.id),
  -- The runs the spans and events name, each once.
  run_ref AS MATERIALIZED (SELECT s.run_id AS id FROM spa s UNION SELECT e.run_id FROM ev e),
  -- Each span reference (a span's parent, which must come earlier, and an event's span)
  -- with the span of the batch it names, if any.
  sp_ref AS MATERIALIZED (
    SELECT x.ref, x.run_id, x.n, s.run_id AS batch_run, s.n AS batch_n
    FROM (SELECT c.parent_span_id AS ref, c.run_id, c.n FROM sp_num c WHERE c.parent_span_id IS NOT NULL
        AND NOT c.stored
      UNION ALL SELECT e.span_id, e.run_id, NULL FROM ev e WHERE e.span_id IS NOT NULL) x
    LEFT JOIN sp_num s ON s.id = x.ref),
  -- What is stored: primary-key probes (sessions_pkey, runs_pkey, spans_pkey) of the ids
  -- the batch names. Sessions and runs are locked as a foreign key's check would lock them:
  -- a concurrent delete waits for this batch (029), or has happened and the row is new.
  ses_old AS (
    SELECT t.id, t.project_id FROM private.sessions t
    WHERE t.id = ANY (ARRAY(SELECT s.id FROM ses s UNION SELECT r.session_id FROM run r))
    FOR KEY SHARE),
  run_old AS (
    SELECT t.id, t.project_id FROM private.runs t
    WHERE t.id = ANY (ARRAY(SELECT r.id FROM run r UNION SELECT x.id FROM run_ref x))
    FOR KEY SHARE),
  -- Stored parents and event spans: only the ids the batch does not hold (usually none).
  sp_old AS (
    SELECT t.id, t.project_id, t.run_id FROM private.spans t
    WHERE t.id = ANY (ARRAY(SELECT x.ref FROM sp_ref x WHERE x.batch_run IS NULL))),
  ses_ins AS (
    INSERT INTO private.sessions (id, project_id, created_at, ended_at, metadata)
    SELECT s.id, p_project_id, s.created_at, s.ended_at, COALESCE(s.metadata, '{}'::jsonb)
    FROM ses s WHERE NOT EXISTS (SELECT 1 FROM ses_old o WHERE o.id = s.id)),
  -- 027's merge of a stored session, writing only the rows it changes.
  ses_upd AS (
    UPDATE private.sessions t SET ended_at = COALESCE(s.ended_at, t.ended_at),
      metadata = t.metadata || COALESCE(s.metadata, '{}'::jsonb)
    FROM ses s
    WHERE t.id = ANY (ARRAY(SELECT o.id FROM ses_old o WHERE o.project_id = p_project_id)) AND t.id = s.id
      AND (t.ended_at IS DISTINCT FROM COALESCE(s.ended_at, t.ended_at)
        OR t.metadata <> t.metadata || COALESCE(s.metadata, '{}'::jsonb))),
  run_ins AS (
    INSERT INTO private.runs (id, session_id, project_id, name, started_at, ended_at, status, error, metadata)
    SELECT r.id, r.session_id, p_project_id, r.name, r.started_at, r.ended_at, r.status, r.error,
      COALESCE(r.metadata, '{}'::jsonb)
    FROM run r WHERE NOT EXISTS (SELECT 1 FROM run_old o WHERE o.id = r.id)),
  -- 027's merge of a stored run (status never moves back to running).
  run_upd AS (
    UPDATE private.runs t SET ended_at = COALESCE(r.ended_at, t.ended_at),
      status = CASE WHEN t.status <> 'running' AND r.status = 'running' THEN t.status ELSE r.status END,
      error = COALESCE(r.error, t.error), metadata = t.metadata || COALESCE(r.metadata, '{}'::jsonb)
    FROM run r
    WHERE t.id = ANY (ARRAY(SELECT o.id FROM run_old o JOIN run b ON b.id = o.id WHERE o.project_id = p_project_id))
      AND t.id = r.id
      AND (t.ended_at IS DISTINCT FROM COALESCE(r.ended_at, t.ended_at)
        OR t.status <> CASE WHEN t.status <> 'running' AND r.status = 'running' THEN t.status ELSE r.status END
        OR t.error IS DISTINCT FROM COALESCE(r.error, t.error)
        OR t.metadata <> t.metadata || COALESCE(r.metadata, '{}'::jsonb)))
  -- Every rule of 027, on the rows just written and the stored rows they name. count(*),
  -- not EXISTS: an EXISTS is planned for its first row (a nested loop).
  SELECT (SELECT count(*) FROM private.projects p WHERE p.id = p_project_id) = 1
    -- The record ceiling.
    AND (SELECT count(*) FROM ses) + (SELECT count(*) FROM run) + (SELECT count(*) FROM sp_num)
      + (SELECT count(*) FROM ev) <= private.max_batch_records()
    -- Stored rows the batch names are the project's (a session, run or span of the batch,
    -- or one it refers to).
    AND (SELECT count(*) FROM ses_old o WHERE o.project_id <> p_project_id) = 0
    AND (SELECT count(*) FROM run_old o WHERE o.project_id <> p_project_id) = 0
    AND (SELECT count(*) FROM sp_old o WHERE o.project_id <> p_project_id) = 0
    AND (SELECT count(*) FROM sp_self o WHERE o.project_id <> p_project_id) = 0
    -- A stored span sent with another run: the reference decides (it keeps the stored run).
    AND (SELECT count(*) FROM spa s JOIN sp_self o ON o.id = s.id WHERE o.run_id <> s.run_id) = 0
    -- Events sent again: each stored one is the project's, with the run and span it was
    -- stored with, and complete as the reference requires (its UPDATE checks no NOT NULL;
    -- the casts raise on a field that is not of its type); no id twice (the reference
    -- refuses merging one row twice).
    AND (SELECT count(*) FROM ev_self o JOIN ev_line e ON e.id = o.id
      WHERE o.project_id <> p_project_id OR o.run_id <> e.a[2]::uuid
        OR o.span_id IS DISTINCT FROM nullif(e.a[3], '')::uuid
        OR cardinality(e.a) <> 7 OR e.a[4] = '' OR e.a[5]::timestamptz IS NULL) = 0
    AND (SELECT count(*) - count(DISTINCT e.id) FROM ev_line e) = 0
    -- Sessions, runs and spans: complete (stored ones too: an UPDATE checks no NOT NULL),
    -- each once. New events: their columns' NOT NULL and CHECKs and the primary key did the
    -- same.
    AND (SELECT count(*) FROM ses s WHERE s.id IS NULL OR s.created_at IS NULL) = 0
    AND (SELECT count(*) - count(DISTINCT s.id) FROM ses s) = 0
    AND (SELECT count(*) FROM run r WHERE r.id IS NULL OR r.session_id IS NULL OR r.name IS NULL
      OR r.started_at IS NULL OR r.status IS NULL) = 0
    AND (SELECT count(*) - count(DISTINCT r.id) FROM run r) = 0
    AND (SELECT count(*) FROM spa s WHERE s.id IS NULL OR s.run_id IS NULL OR s.kind IS NULL OR s.name IS NULL
      OR s.started_at IS NULL OR s.status IS NULL) = 0
    AND (SELECT count(*) - count(DISTINCT s.id) FROM spa s) = 0
    -- A run's session: in the batch or stored.
    AND (SELECT count(*) FROM run r
      WHERE NOT EXISTS (SELECT 1 FROM ses s WHERE s.id = r.session_id)
        AND NOT EXISTS (SELECT 1 FROM ses_old o WHERE o.id = r.session_id)) = 0
    -- A span's and an event's run: in the batch or stored.
    AND (SELECT count(*) FROM run_ref x
      WHERE NOT EXISTS (SELECT 1 FROM run r WHERE r.id = x.id)
        AND NOT EXISTS (SELECT 1 FROM run_old o WHERE o.id = x.id)) = 0
    -- A parent: an earlier span of the batch in the same run, or a stored span of the run.
    -- An event's span: a span of the batch or a stored one, of the event's run.
    AND (SELECT count(*) FROM sp_ref x LEFT JOIN sp_old o ON o.id = x.ref
      WHERE NOT (COALESCE(x.batch_run = x.run_id AND (x.n IS NULL OR x.batch_n < x.n), false)
        OR COALESCE(o.run_id = x.run_id, false))) = 0
  INTO v_fast;
  IF NOT v_fast THEN
    RAISE EXCEPTION 'not for the fast path';
  END IF;
END;
$fn$;

-- The records of a batch given as rows text (036), re-sent batches on the fast path (037).
CREATE OR REPLACE FUNCTION private.ingest_rows(p_project_id uuid, p_sessions text, p_runs text, p_spans text, p_events text,
  p_prompt_links jsonb DEFAULT '[]'::jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
-- Its own probes too are primary-key probes (the reference sets the same).
SET enable_seqscan = off
AS $fn$
DECLARE
  v_fast boolean;
  v_resend boolean;
  v_retry boolean := false;
  v_count bigint;
  v_sessions jsonb;
  v_runs jsonb;
  v_spans jsonb;
  v_events jsonb;
  v_shaped boolean;
  v_text text;
  v_problem text;
BEGIN
  -- A retried batch (its first event is stored: one primary-key probe) takes the fast
  -- path's re-send branch at once. A fresh-looking batch that meets a stored row later (a
  -- partial overlap, or a concurrent batch with the same ids) raises unique_violation in
  -- the fresh branch, which is rolled back and tried once more as a re-send.
  -- (A list not starting with a uuid probes nothing: the fast path will refuse it.)
  v_resend := EXISTS (SELECT 1 FROM private.events
    WHERE id = CASE WHEN substr(p_events, 1, 37) ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\t'
      THEN substr(p_events, 1, 36)::uuid END);
  v_fast := false;
  BEGIN
    PERFORM private.ingest_rows_fast(p_project_id, p_sessions, p_runs, p_spans, p_events, v_resend);
    v_fast := true;
  EXCEPTION
    WHEN unique_violation THEN
      v_retry := NOT v_resend;
    WHEN OTHERS THEN
      -- Rolled back: the reference decides (a statement timeout is not caught here).
      NULL;
  END;
  IF v_retry THEN
    BEGIN
      PERFORM private.ingest_rows_fast(p_project_id, p_sessions, p_runs, p_spans, p_events, true);
      v_fast := true;
    EXCEPTION WHEN OTHERS THEN
      NULL;
    END;
  END IF;

  IF v_fast THEN
    -- As ingest_batch_with_prompt_links: most batches carry no prompt links.
    IF p_prompt_links IS NOT NULL AND p_prompt_links <> '[]'::jsonb THEN
      PERFORM private.link_trace_prompt_links(p_project_id, p_prompt_links);
    END IF;
    RETURN;
  END IF;

  -- The reference. Its first two refusals come before reading the rows, as there.
  IF p_project_id IS NULL OR NOT EXISTS (SELECT 1 FROM private.projects WHERE id = p_project_id) THEN
    RAISE EXCEPTION 'project % not found', COALESCE(p_project_id::text, '<NULL>');
  END IF;
  SELECT count(*) INTO v_count FROM (
    SELECT FROM string_to_table(p_sessions, E'\n') UNION ALL SELECT FROM string_to_table(p_runs, E'\n')
    UNION ALL SELECT FROM string_to_table(p_spans, E'\n') UNION ALL SELECT FROM string_to_table(p_events, E'\n')) l;
  IF v_count > private.max_batch_records() THEN
    RAISE EXCEPTION 'batch exceeds maximum of % records', private.max_batch_records();
  END IF;

  -- The rows as the JSON lists the core would have sent: an empty field is a missing key,
  -- a plain field a JSON string (iteration too: jsonb_to_recordset reads "3" as 3), a JSON
  -- field its own text once it has been parsed alone (::json: one value, nothing spliced
  -- into the object around it). One jsonb parse per list, as the JSON path's.
  BEGIN
    SELECT '[' || COALESCE(string_agg('{' || concat_ws(',',
          '"id":' || to_json(nullif(a[1], ''))::text,
          '"created_at":' || to_json(nullif(a[2], ''))::text,
          '"ended_at":' || to_json(nullif(a[3], ''))::text,
          '"metadata":' || nullif(a[4], '')) || '}', ',' ORDER BY l.n), '') || ']',
        COALESCE(bool_and(cardinality(a) = 4
          AND (a[4] = '' OR a[4]::json IS NOT NULL)), true)
      INTO v_text, v_shaped
      FROM string_to_table(p_sessions, E'\n') WITH ORDINALITY AS l(line, n), string_to_array(l.line, E'\t') AS a;
    v_sessions := v_text::jsonb;
    IF v_shaped THEN
      SELECT '[' || COALESCE(string_agg('{' || concat_ws(',',
            '"id":' || to_json(nullif(a[1], ''))::text,
            '"session_id":' || to_json(nullif(a[2], ''))::text,
            '"name":' || nullif(a[3], ''),
            '"started_at":' || to_json(nullif(a[4], ''))::text,
            '"ended_at":' || to_json(nullif(a[5], ''))::text,
            '"status":' || to_json(nullif(a[6], ''))::text,
            '"error":' || nullif(a[7], ''),
            '"metadata":' || nullif(a[8], '')) || '}', ',' ORDER BY l.n), '') || ']',
          COALESCE(bool_and(cardinality(a) = 8
            AND (a[3] = '' OR a[3]::json IS NOT NULL)
            AND (a[7] = '' OR a[7]::json IS NOT NULL)
            AND (a[8] = '' OR a[8]::json IS NOT NULL)), true)
        INTO v_text, v_shaped
        FROM string_to_table(p_runs, E'\n') WITH ORDINALITY AS l(line, n), string_to_array(l.line, E'\t') AS a;
      v_runs := v_text::jsonb;
    END IF;
    IF v_shaped THEN
      SELECT '[' || COALESCE(string_agg('{' || concat_ws(',',
            '"id":' || to_json(nullif(a[1], ''))::text,
            '"run_id":' || to_json(nullif(a[2], ''))::text,
            '"parent_span_id":' || to_json(nullif(a[3], ''))::text,
            '"kind":' || to_json(nullif(a[4], ''))::text,
            '"name":' || nullif(a[5], ''),
            '"started_at":' || to_json(nullif(a[6], ''))::text,
            '"ended_at":' || to_json(nullif(a[7], ''))::text,
            '"status":' || to_json(nullif(a[8], ''))::text,
            '"error":' || nullif(a[9], ''),
            '"iteration":' || to_json(nullif(a[10], ''))::text,
            '"attributes":' || nullif(a[11], '')) || '}', ',' ORDER BY l.n), '') || ']',
          COALESCE(bool_and(cardinality(a) = 11
            AND (a[5] = '' OR a[5]::json IS NOT NULL)
            AND (a[9] = '' OR a[9]::json IS NOT NULL)
            AND (a[11] = '' OR a[11]::json IS NOT NULL)), true)
        INTO v_text, v_shaped
        FROM string_to_table(p_spans, E'\n') WITH ORDINALITY AS l(line, n), string_to_array(l.line, E'\t') AS a;
      v_spans := v_text::jsonb;
    END IF;
    IF v_shaped THEN
      SELECT '[' || COALESCE(string_agg('{' || concat_ws(',',
            '"id":' || to_json(nullif(a[1], ''))::text,
            '"run_id":' || to_json(nullif(a[2], ''))::text,
            '"span_id":' || to_json(nullif(a[3], ''))::text,
            '"type":' || to_json(nullif(a[4], ''))::text,
            '"created_at":' || to_json(nullif(a[5], ''))::text,
            '"content":' || nullif(a[6], ''),
            '"attributes":' || nullif(a[7], '')) || '}', ',' ORDER BY l.n), '') || ']',
          COALESCE(bool_and(cardinality(a) = 7
            AND (a[6] = '' OR a[6]::json IS NOT NULL)
            AND (a[7] = '' OR a[7]::json IS NOT NULL)), true)
        INTO v_text, v_shaped
        FROM string_to_table(p_events, E'\n') WITH ORDINALITY AS l(line, n), string_to_array(l.line, E'\t') AS a;
      v_events := v_text::jsonb;
    END IF;
    IF NOT v_shaped THEN
      RAISE EXCEPTION '%', private.ingest_rows_problem(p_sessions, p_runs, p_spans, p_events)
        USING ERRCODE = 'invalid_text_representation';
    END IF;
    PERFORM private.ingest_batch_with_prompt_links(p_project_id, v_sessions, v_runs, v_spans, v_events,
      p_prompt_links);
  EXCEPTION WHEN data_exception THEN
    -- A field that is not of its type (a bad JSON field here, a bad uuid or timestamp in the
    -- reference): name the row. Anything else is not the rows' fault: raised as it came.
    v_problem := private.ingest_rows_problem(p_sessions, p_runs, p_spans, p_events);
    IF v_problem IS NULL THEN
      RAISE;
    END IF;
    RAISE EXCEPTION '%', v_problem USING ERRCODE = 'invalid_text_representation';
  END;
END;
$fn$;

COMMENT ON FUNCTION private.ingest_rows_fast(uuid, text, text, text, text, boolean) IS
  'ingest_rows'' fast path (037): one statement for a batch as rows text, fresh (p_resend false) or sent again (true); raises on anything the reference must decide.';

REVOKE ALL ON FUNCTION private.ingest_rows_fast(uuid, text, text, text, text, boolean) FROM PUBLIC, anon, authenticated,
  service_role;
