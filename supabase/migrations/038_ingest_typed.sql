-- 038 the typed write path (issue 10). Until now every batch reached PostgreSQL as text —
-- JSON (030) or rows (036) — that the ingest statement parsed before writing: each id, each
-- timestamp and each JSON value cast from text, each line split. Even a plain
-- INSERT … SELECT of those rows, no checks at all, stayed below 0.9× the speed of COPY.
--
-- Now the edge sends one array per column (uuid[], timestamptz[], text[], integer[],
-- jsonb[]), in PostgreSQL's binary format (the core's prepare_batch(…, "binary")): the
-- server receives each value as stored — 16 bytes per id, 8 per timestamp — and the statement
-- only unnests them.
--
-- private.ingest_typed_fast is 037's fast statement, every check and both branches (fresh,
-- re-send) kept, reading the arrays instead of the text; it is now the only copy of that
-- statement: private.ingest_rows_fast (rows text, the PGlite store's path) becomes a
-- function that parses the rows into the same arrays and calls it.
--
-- private.ingest_typed chooses the branch as ingest_rows does (the first event stored:
-- re-send; a unique_violation in the fresh branch: re-send once more) and, when the fast
-- path refuses, gives the same records to the reference, private.ingest_batch_with_prompt_links,
-- as JSON lists: every refusal keeps the reference's exact text.
-- private.ingest_prepared_typed is the endpoint's one statement on arrays, as
-- ingest_prepared_rows is on rows text (records, links, then scores, then warnings).

CREATE FUNCTION private.ingest_typed_fast(p_project_id uuid,
  p_session_id uuid[], p_session_created_at timestamptz[], p_session_ended_at timestamptz[], p_session_metadata jsonb[],
  p_run_id uuid[], p_run_session_id uuid[], p_run_name text[], p_run_started_at timestamptz[],
  p_run_ended_at timestamptz[], p_run_status text[], p_run_error jsonb[], p_run_metadata jsonb[],
  p_span_id uuid[], p_span_run_id uuid[], p_span_parent_span_id uuid[], p_span_kind text[], p_span_name text[],
  p_span_started_at timestamptz[], p_span_ended_at timestamptz[], p_span_status text[], p_span_error jsonb[],
  p_span_iteration integer[], p_span_attributes jsonb[],
  p_event_id uuid[], p_event_run_id uuid[], p_event_span_id uuid[], p_event_type text[],
  p_event_created_at timestamptz[], p_event_content jsonb[], p_event_attributes jsonb[],
  p_resend boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = ''
-- Every table access is a primary-key probe for ids the batch names (027 says why).
SET enable_seqscan = off
-- The checks join lists of thousands of rows that the planner estimates at 100 or 1,000:
-- it picks merge joins, sorting both sides; a hash join costs half.
SET enable_mergejoin = off
-- The materialized lists of a 10,000-record batch stay in memory (4 MB by default).
SET work_mem = '64MB'
-- The plan does not depend on the values: planned once per connection, not for each of
-- its first five calls as plpgsql does by default.
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  v_fast boolean;
BEGIN
  -- A column array shorter than its list's first (an ill-formed call) is read as NULLs,
  -- which the checks refuse; a NULL array as no rows. JSON null in an object column is
  -- "not sent", as in every ingest function.
  WITH
  ses AS MATERIALIZED (
    SELECT u.id, u.created_at, u.ended_at, nullif(u.metadata, 'null'::jsonb) AS metadata
    FROM unnest(p_session_id, p_session_created_at, p_session_ended_at, p_session_metadata)
      AS u(id, created_at, ended_at, metadata)),
  run AS MATERIALIZED (
    SELECT u.id, u.session_id, u.name, u.started_at, u.ended_at, u.status, nullif(u.error, 'null'::jsonb) AS error,
      nullif(u.metadata, 'null'::jsonb) AS metadata
    FROM unnest(p_run_id, p_run_session_id, p_run_name, p_run_started_at, p_run_ended_at, p_run_status, p_run_error,
      p_run_metadata) AS u(id, session_id, name, started_at, ended_at, status, error, metadata)),
  -- Spans with their place in the list. The SDK sends a span again when it changes
  -- (running, then ended, in a later batch), so stored spans are common: one primary-key
  -- probe of the batch's span ids splits them into new ones (INSERT) and stored ones
  -- (027's merge by UPDATE).
  spa AS MATERIALIZED (
    SELECT u.id, u.run_id, u.parent_span_id, u.kind, u.name, u.started_at, u.ended_at, u.status,
      nullif(u.error, 'null'::jsonb) AS error, u.iteration, nullif(u.attributes, 'null'::jsonb) AS attributes, u.n
    FROM unnest(p_span_id, p_span_run_id, p_span_parent_span_id, p_span_kind, p_span_name, p_span_started_at,
      p_span_ended_at, p_span_status, p_span_error, p_span_iteration, p_span_attributes) WITH ORDINALITY
      AS u(id, run_id, parent_span_id, kind, name, started_at, ended_at, status, error, iteration, attributes, n)),
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
  -- Events of a fresh batch (NOT p_resend): plain INSERTs straight from the arrays (a
  -- missing required field fails its column's NOT NULL); a stored one raises
  -- unique_violation, and ingest_typed calls again with p_resend. Only their keys are kept,
  -- for the checks.
  ev_new AS (
    INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
    SELECT u.id, u.run_id, u.span_id, p_project_id, u.type, u.created_at, COALESCE(u.content, 'null'::jsonb),
      COALESCE(nullif(u.attributes, 'null'::jsonb), '{}'::jsonb)
    FROM unnest(p_event_id, p_event_run_id, p_event_span_id, p_event_type, p_event_created_at, p_event_content,
      p_event_attributes) AS u(id, run_id, span_id, type, created_at, content, attributes)
    WHERE NOT p_resend
    RETURNING run_id, span_id),
  -- Events of a batch sent again (p_resend: an SDK retry after a lost answer, or a batch
  -- that overlaps a stored one). Every branch below is gated on p_resend: a fresh batch
  -- runs none of it. One primary-key probe of their ids finds the stored ones.
  ev_line AS MATERIALIZED (
    SELECT u.id, u.run_id, u.span_id, u.type, u.created_at, COALESCE(u.content, 'null'::jsonb) AS content,
      COALESCE(nullif(u.attributes, 'null'::jsonb), '{}'::jsonb) AS attributes
    FROM unnest(p_event_id, p_event_run_id, p_event_span_id, p_event_type, p_event_created_at, p_event_content,
      p_event_attributes) AS u(id, run_id, span_id, type, created_at, content, attributes)
    WHERE p_resend),
  ev_self AS MATERIALIZED (
    SELECT t.id, t.project_id, t.run_id, t.span_id FROM private.events t
    WHERE t.id = ANY (ARRAY(SELECT e.id FROM ev_line e))),
  -- New events by plain INSERT (a concurrent batch inserting one of them raises
  -- unique_violation, and the reference decides).
  ev_ins AS (
    INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
    SELECT e.id, e.run_id, e.span_id, p_project_id, e.type, e.created_at, e.content, e.attributes
    FROM ev_line e WHERE NOT EXISTS (SELECT 1 FROM ev_self o WHERE o.id = e.id)),
  -- 027's merge of a stored event (content replaced, attributes merged), writing only the
  -- rows it changes: an identical retry writes no event at all. Stored events of another
  -- project, or sent with another run or span, are left to the reference (checks below).
  ev_upd AS (
    UPDATE private.events t SET content = e.content, attributes = t.attributes || e.attributes
    FROM ev_line e
    WHERE t.id = ANY (ARRAY(SELECT o.id FROM ev_self o WHERE o.project_id = p_project_id)) AND t.id = e.id
      AND (t.content IS DISTINCT FROM e.content OR t.attributes <> t.attributes || e.attributes)),
  -- Every event's run and span as the batch sends them (for the checks).
  ev AS (
    SELECT e.run_id, e.span_id FROM ev_new e
    UNION ALL SELECT e.run_id, e.span_id FROM ev_line e),
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
    -- stored with, and complete as the reference requires (its UPDATE checks no NOT NULL);
    -- no id twice (the reference refuses merging one row twice).
    AND (SELECT count(*) FROM ev_self o JOIN ev_line e ON e.id = o.id
      WHERE o.project_id <> p_project_id OR e.run_id IS NULL OR o.run_id <> e.run_id
        OR o.span_id IS DISTINCT FROM e.span_id OR e.type IS NULL OR e.created_at IS NULL) = 0
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

-- Rows text (036) on the same statement: each list split once into the columns' arrays
-- (aggregated in the order the lines are read, the list's order; a row with the wrong number of fields gets a NULL id, which the checks
-- refuse; a field not of its type raises, and ingest_rows gives the batch to the reference).
CREATE OR REPLACE FUNCTION private.ingest_rows_fast(p_project_id uuid, p_sessions text, p_runs text, p_spans text,
  p_events text, p_resend boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = ''
SET work_mem = '64MB'
SET plan_cache_mode = force_generic_plan
AS $fn$
DECLARE
  s1 uuid[]; s2 timestamptz[]; s3 timestamptz[]; s4 jsonb[];
  r1 uuid[]; r2 uuid[]; r3 text[]; r4 timestamptz[]; r5 timestamptz[]; r6 text[]; r7 jsonb[]; r8 jsonb[];
  p1 uuid[]; p2 uuid[]; p3 uuid[]; p4 text[]; p5 text[]; p6 timestamptz[]; p7 timestamptz[]; p8 text[]; p9 jsonb[];
  p10 integer[]; p11 jsonb[];
  e1 uuid[]; e2 uuid[]; e3 uuid[]; e4 text[]; e5 timestamptz[]; e6 jsonb[]; e7 jsonb[];
BEGIN
  SELECT array_agg(CASE WHEN cardinality(a) = 4 THEN nullif(a[1], '')::uuid END),
      array_agg(nullif(a[2], '')::timestamptz), array_agg(nullif(a[3], '')::timestamptz),
      array_agg(nullif(a[4], '')::jsonb)
    INTO s1, s2, s3, s4
    FROM string_to_table(p_sessions, E'\n') AS l, string_to_array(l, E'\t') AS a;
  SELECT array_agg(CASE WHEN cardinality(a) = 8 THEN nullif(a[1], '')::uuid END),
      array_agg(nullif(a[2], '')::uuid), array_agg(nullif(a[3], '')::jsonb #>> '{}'),
      array_agg(nullif(a[4], '')::timestamptz), array_agg(nullif(a[5], '')::timestamptz),
      array_agg(nullif(a[6], '')), array_agg(nullif(a[7], '')::jsonb),
      array_agg(nullif(a[8], '')::jsonb)
    INTO r1, r2, r3, r4, r5, r6, r7, r8
    FROM string_to_table(p_runs, E'\n') AS l, string_to_array(l, E'\t') AS a;
  SELECT array_agg(CASE WHEN cardinality(a) = 11 THEN nullif(a[1], '')::uuid END),
      array_agg(nullif(a[2], '')::uuid), array_agg(nullif(a[3], '')::uuid),
      array_agg(nullif(a[4], '')), array_agg(nullif(a[5], '')::jsonb #>> '{}'),
      array_agg(nullif(a[6], '')::timestamptz), array_agg(nullif(a[7], '')::timestamptz),
      array_agg(nullif(a[8], '')), array_agg(nullif(a[9], '')::jsonb),
      array_agg(nullif(a[10], '')::integer), array_agg(nullif(a[11], '')::jsonb)
    INTO p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11
    FROM string_to_table(p_spans, E'\n') AS l, string_to_array(l, E'\t') AS a;
  SELECT array_agg(CASE WHEN cardinality(a) = 7 THEN nullif(a[1], '')::uuid END),
      array_agg(nullif(a[2], '')::uuid), array_agg(nullif(a[3], '')::uuid),
      array_agg(nullif(a[4], '')), array_agg(nullif(a[5], '')::timestamptz),
      array_agg(nullif(a[6], '')::jsonb), array_agg(nullif(a[7], '')::jsonb)
    INTO e1, e2, e3, e4, e5, e6, e7
    FROM string_to_table(p_events, E'\n') AS l, string_to_array(l, E'\t') AS a;
  PERFORM private.ingest_typed_fast(p_project_id, s1, s2, s3, s4, r1, r2, r3, r4, r5, r6, r7, r8,
    p1, p2, p3, p4, p5, p6, p7, p8, p9, p10, p11, e1, e2, e3, e4, e5, e6, e7, p_resend);
END;
$fn$;

-- The records of a batch given as column arrays, and its prompt links.
CREATE FUNCTION private.ingest_typed(p_project_id uuid,
  p_session_id uuid[], p_session_created_at timestamptz[], p_session_ended_at timestamptz[], p_session_metadata jsonb[],
  p_run_id uuid[], p_run_session_id uuid[], p_run_name text[], p_run_started_at timestamptz[],
  p_run_ended_at timestamptz[], p_run_status text[], p_run_error jsonb[], p_run_metadata jsonb[],
  p_span_id uuid[], p_span_run_id uuid[], p_span_parent_span_id uuid[], p_span_kind text[], p_span_name text[],
  p_span_started_at timestamptz[], p_span_ended_at timestamptz[], p_span_status text[], p_span_error jsonb[],
  p_span_iteration integer[], p_span_attributes jsonb[],
  p_event_id uuid[], p_event_run_id uuid[], p_event_span_id uuid[], p_event_type text[],
  p_event_created_at timestamptz[], p_event_content jsonb[], p_event_attributes jsonb[],
  p_prompt_links jsonb DEFAULT '[]'::jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = ''
SET enable_seqscan = off
AS $fn$
DECLARE
  v_fast boolean := false;
  v_resend boolean;
  v_sessions jsonb;
  v_runs jsonb;
  v_spans jsonb;
  v_events jsonb;
BEGIN
  -- As ingest_rows (037): a retried batch (its first event is stored: one primary-key
  -- probe) takes the re-send branch at once; a fresh-looking batch that meets a stored row
  -- raises unique_violation in the fresh branch and is tried once more as a re-send. Any
  -- other failure (rolled back) leaves the batch to the reference; a statement timeout is
  -- not caught here.
  v_resend := EXISTS (SELECT 1 FROM private.events WHERE id = p_event_id[1]);
  LOOP
    BEGIN
      PERFORM private.ingest_typed_fast(p_project_id, p_session_id, p_session_created_at, p_session_ended_at,
        p_session_metadata, p_run_id, p_run_session_id, p_run_name, p_run_started_at, p_run_ended_at, p_run_status,
        p_run_error, p_run_metadata, p_span_id, p_span_run_id, p_span_parent_span_id, p_span_kind, p_span_name,
        p_span_started_at, p_span_ended_at, p_span_status, p_span_error, p_span_iteration, p_span_attributes,
        p_event_id, p_event_run_id, p_event_span_id, p_event_type, p_event_created_at, p_event_content,
        p_event_attributes, v_resend);
      v_fast := true;
      EXIT;
    EXCEPTION
      WHEN unique_violation THEN
        EXIT WHEN v_resend;
        v_resend := true;
      WHEN OTHERS THEN
        EXIT;
    END;
  END LOOP;

  IF v_fast THEN
    -- As ingest_batch_with_prompt_links: most batches carry no prompt links.
    IF p_prompt_links IS NOT NULL AND p_prompt_links <> '[]'::jsonb THEN
      PERFORM private.link_trace_prompt_links(p_project_id, p_prompt_links);
    END IF;
    RETURN;
  END IF;

  -- The reference, on the same records as the JSON lists the core would have sent: a NULL
  -- element is a missing key, every other value its JSON (timestamps in ISO form, read back
  -- as the same instant). The order of each list is kept (spans parents first).
  SELECT COALESCE(jsonb_agg(private.jsonb_present(jsonb_build_object('id', u.id, 'created_at', u.created_at,
      'ended_at', u.ended_at, 'metadata', u.metadata)) ORDER BY u.n), '[]')
    INTO v_sessions
    FROM unnest(p_session_id, p_session_created_at, p_session_ended_at, p_session_metadata) WITH ORDINALITY
      AS u(id, created_at, ended_at, metadata, n);
  SELECT COALESCE(jsonb_agg(private.jsonb_present(jsonb_build_object('id', u.id, 'session_id', u.session_id,
      'name', u.name, 'started_at', u.started_at, 'ended_at', u.ended_at, 'status', u.status, 'error', u.error,
      'metadata', u.metadata)) ORDER BY u.n), '[]')
    INTO v_runs
    FROM unnest(p_run_id, p_run_session_id, p_run_name, p_run_started_at, p_run_ended_at, p_run_status, p_run_error,
      p_run_metadata) WITH ORDINALITY AS u(id, session_id, name, started_at, ended_at, status, error, metadata, n);
  SELECT COALESCE(jsonb_agg(private.jsonb_present(jsonb_build_object('id', u.id, 'run_id', u.run_id,
      'parent_span_id', u.parent_span_id, 'kind', u.kind, 'name', u.name, 'started_at', u.started_at,
      'ended_at', u.ended_at, 'status', u.status, 'error', u.error, 'iteration', u.iteration,
      'attributes', u.attributes)) ORDER BY u.n), '[]')
    INTO v_spans
    FROM unnest(p_span_id, p_span_run_id, p_span_parent_span_id, p_span_kind, p_span_name, p_span_started_at,
      p_span_ended_at, p_span_status, p_span_error, p_span_iteration, p_span_attributes) WITH ORDINALITY
      AS u(id, run_id, parent_span_id, kind, name, started_at, ended_at, status, error, iteration, attributes, n);
  SELECT COALESCE(jsonb_agg(private.jsonb_present(jsonb_build_object('id', u.id, 'run_id', u.run_id,
      'span_id', u.span_id, 'type', u.type, 'created_at', u.created_at, 'content', u.content,
      'attributes', u.attributes)) ORDER BY u.n), '[]')
    INTO v_events
    FROM unnest(p_event_id, p_event_run_id, p_event_span_id, p_event_type, p_event_created_at, p_event_content,
      p_event_attributes) WITH ORDINALITY AS u(id, run_id, span_id, type, created_at, content, attributes, n);
  PERFORM private.ingest_batch_with_prompt_links(p_project_id, v_sessions, v_runs, v_spans, v_events,
    p_prompt_links);
END;
$fn$;

-- An object without its top-level members whose value is JSON null (nested ones stay).
CREATE FUNCTION private.jsonb_present(p_object jsonb)
RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT SET search_path = ''
AS $$
  SELECT COALESCE(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
  FROM jsonb_each(p_object) AS e WHERE jsonb_typeof(e.value) <> 'null'
$$;

-- The endpoint's one statement on column arrays: ingest_typed (records, links), then
-- dashboard_bulk_create_scores unless the scores are [], then record_ingest_warnings
-- unless the warnings are [] (as ingest_prepared_rows, 036).
CREATE FUNCTION private.ingest_prepared_typed(p_project_id uuid,
  p_session_id uuid[], p_session_created_at timestamptz[], p_session_ended_at timestamptz[], p_session_metadata jsonb[],
  p_run_id uuid[], p_run_session_id uuid[], p_run_name text[], p_run_started_at timestamptz[],
  p_run_ended_at timestamptz[], p_run_status text[], p_run_error jsonb[], p_run_metadata jsonb[],
  p_span_id uuid[], p_span_run_id uuid[], p_span_parent_span_id uuid[], p_span_kind text[], p_span_name text[],
  p_span_started_at timestamptz[], p_span_ended_at timestamptz[], p_span_status text[], p_span_error jsonb[],
  p_span_iteration integer[], p_span_attributes jsonb[],
  p_event_id uuid[], p_event_run_id uuid[], p_event_span_id uuid[], p_event_type text[],
  p_event_created_at timestamptz[], p_event_content jsonb[], p_event_attributes jsonb[],
  p_prompt_links jsonb, p_scores jsonb, p_warnings jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $fn$
BEGIN
  PERFORM private.ingest_typed(p_project_id, p_session_id, p_session_created_at, p_session_ended_at,
    p_session_metadata, p_run_id, p_run_session_id, p_run_name, p_run_started_at, p_run_ended_at, p_run_status,
    p_run_error, p_run_metadata, p_span_id, p_span_run_id, p_span_parent_span_id, p_span_kind, p_span_name,
    p_span_started_at, p_span_ended_at, p_span_status, p_span_error, p_span_iteration, p_span_attributes,
    p_event_id, p_event_run_id, p_event_span_id, p_event_type, p_event_created_at, p_event_content,
    p_event_attributes, p_prompt_links);
  -- After the records: a score may name a run or span of the batch.
  IF p_scores IS DISTINCT FROM '[]'::jsonb THEN
    PERFORM count(*) FROM public.dashboard_bulk_create_scores(p_project_id, p_scores);
  END IF;
  IF p_warnings IS NOT NULL AND p_warnings IS DISTINCT FROM '[]'::jsonb THEN
    PERFORM private.record_ingest_warnings(p_project_id, p_warnings);
  END IF;
END;
$fn$;

COMMENT ON FUNCTION private.ingest_typed_fast(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  boolean) IS
  'The fast path of ingest_typed and ingest_rows (038): one statement for a batch as column arrays, fresh (p_resend false) or sent again (true); raises on anything the reference must decide.';
COMMENT ON FUNCTION private.ingest_rows_fast(uuid, text, text, text, text, boolean) IS
  'ingest_rows'' fast path: the rows text split into column arrays for ingest_typed_fast (038).';
COMMENT ON FUNCTION private.ingest_typed(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  jsonb) IS
  'The records of a batch as column arrays (038) and its prompt links: the fast path, else ingest_batch_with_prompt_links on the same records.';
COMMENT ON FUNCTION private.ingest_prepared_typed(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  jsonb, jsonb, jsonb) IS
  'The ingest endpoint''s one statement on column arrays (038): ingest_typed (records, links), then dashboard_bulk_create_scores unless the scores are [], then record_ingest_warnings unless the warnings are [].';

REVOKE ALL ON FUNCTION private.ingest_typed_fast(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  boolean), private.jsonb_present(jsonb) FROM PUBLIC, anon, authenticated, service_role;
REVOKE ALL ON FUNCTION private.ingest_typed(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  jsonb), private.ingest_prepared_typed(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  jsonb, jsonb, jsonb) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.ingest_typed(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  jsonb), private.ingest_prepared_typed(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[],
  timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[],
  jsonb, jsonb, jsonb) TO service_role;
