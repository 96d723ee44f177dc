-- 027 ingest write path: private.ingest_batch rewritten so that its cost is the rows and
-- does not grow with the size of the tables (issue 10). Same name, signature, result,
-- error texts and guarantees as 006 (tenant scoping, references, same-run parents and
-- event spans, no cycles ever stored, re-send semantics, atomicity); what changed is how:
--
--   * one statement reads the keys of every record (ids, references, claimed project,
--     required fields present); one looks up, by primary-key probes only (`id = ANY (…)`,
--     and enable_seqscan off for the function), what is stored for every id the batch
--     names (its own ids and the sessions, runs, parents and spans it refers to); one
--     derives every refusal from those two, in the order 006 raised them. 006 read the
--     tables up to five times per kind, and three of those reads became full scans on
--     tables of millions of rows.
--   * cycles: a cycle can only form among spans new in this batch (stored spans never
--     change parent, and their ancestors are stored). When every new span's new parent
--     comes EARLIER in the array — what the core emits, parents first — no cycle is
--     possible, and that is checked in the same refusal pass (one hash join). Otherwise
--     (other callers may send children first) a pointer-jumping pass finds cycles in
--     O(n log n): each round replaces a span's ancestor by its ancestor's ancestor and
--     drops spans whose chain has left the new spans; after log2(n) + 1 rounds only
--     spans on or above a cycle remain. 006's recursive walk was quadratic in a chain.
--   * writes, one statement for the four kinds, each list parsed in full once, there:
--     rows known new by plain INSERTs (no speculative insertion), rows known stored by
--     UPDATEs that skip rows the merge leaves unchanged (an identical re-send writes
--     nothing). If another session inserts one of our new ids between the lookup and the
--     write, the INSERT raises unique_violation; the block then rolls back its writes and
--     redoes them with INSERT … ON CONFLICT (private.ingest_upsert), which merges as a
--     re-send and still refuses another project's row: a race never becomes a client
--     error nor loses data (scripts/test-db.sh runs that race).
--   * statements per call: 5 whatever the batch (006: about 30 for a small batch).
--
-- link_trace_prompt_links returns at once for an empty list (most batches carry none).

-- What the checks need of one record of the batch: its id, the ids it refers to (a run's
-- session; a span's run and parent; an event's run and span), the project it claims, and
-- whether its required fields are all present. The full rows are parsed once, by the
-- writes, straight from the JSON.
CREATE TYPE private.ingest_key AS (id uuid, ref uuid, ref2 uuid, project_id uuid, complete boolean);
-- What the lookup returns for one stored row: its project and, for spans, its run.
CREATE TYPE private.ingest_stored AS (id uuid, project_id uuid, run_id uuid);
-- A span and its nearest ancestor among the batch's new spans (the cycle check).
CREATE TYPE private.ingest_link AS (id uuid, ancestor_id uuid);

-- The general write, for the rare race described above: every row by INSERT … ON CONFLICT.
-- A row of another project is never overwritten (the WHERE of the update), and is
-- reported as 006 did.
CREATE FUNCTION private.ingest_upsert(p_project_id uuid, p_sessions jsonb, p_runs jsonb, p_spans jsonb, p_events jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $fn$
DECLARE
  v_written bigint;
BEGIN
  INSERT INTO private.sessions AS t (id, project_id, created_at, ended_at, metadata)
  SELECT r.id, p_project_id, r.created_at, r.ended_at, COALESCE(r.metadata, '{}'::jsonb)
  FROM jsonb_to_recordset(p_sessions) AS r(id uuid, created_at timestamptz, ended_at timestamptz, metadata jsonb)
  ON CONFLICT (id) DO UPDATE SET ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at), metadata = t.metadata || EXCLUDED.metadata
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> jsonb_array_length(p_sessions) THEN RAISE EXCEPTION 'session belongs to a different project'; END IF;

  INSERT INTO private.runs AS t (id, session_id, project_id, name, started_at, ended_at, status, error, metadata)
  SELECT r.id, r.session_id, p_project_id, r.name, r.started_at, r.ended_at, r.status, r.error,
    COALESCE(r.metadata, '{}'::jsonb)
  FROM jsonb_to_recordset(p_runs) AS r(id uuid, session_id uuid, name text, started_at timestamptz,
    ended_at timestamptz, status text, error jsonb, metadata jsonb)
  ON CONFLICT (id) DO UPDATE SET
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),
    status = CASE WHEN t.status <> 'running' AND EXCLUDED.status = 'running' THEN t.status ELSE EXCLUDED.status END,
    error = COALESCE(EXCLUDED.error, t.error),
    metadata = t.metadata || EXCLUDED.metadata
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> jsonb_array_length(p_runs) THEN RAISE EXCEPTION 'run belongs to a different project'; END IF;

  INSERT INTO private.spans AS t (id, run_id, project_id, parent_span_id, kind, name, started_at, ended_at, status,
    error, iteration, attributes)
  SELECT r.id, r.run_id, p_project_id, r.parent_span_id, r.kind, r.name, r.started_at, r.ended_at, r.status,
    r.error, r.iteration, COALESCE(r.attributes, '{}'::jsonb)
  FROM jsonb_to_recordset(p_spans) AS r(id uuid, run_id uuid, parent_span_id uuid, kind text, name text,
    started_at timestamptz, ended_at timestamptz, status text, error jsonb, iteration integer, attributes jsonb)
  ON CONFLICT (id) DO UPDATE SET
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),
    status = CASE WHEN t.status <> 'running' AND EXCLUDED.status = 'running' THEN t.status ELSE EXCLUDED.status END,
    error = COALESCE(EXCLUDED.error, t.error),
    attributes = t.attributes || EXCLUDED.attributes
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> jsonb_array_length(p_spans) THEN RAISE EXCEPTION 'span belongs to a different project'; END IF;

  INSERT INTO private.events AS t (id, run_id, span_id, project_id, type, created_at, content, attributes)
  SELECT r.id, r.run_id, r.span_id, p_project_id, r.type, r.created_at, COALESCE(r.content, 'null'::jsonb),
    COALESCE(r.attributes, '{}'::jsonb)
  FROM jsonb_to_recordset(p_events) AS r(id uuid, run_id uuid, span_id uuid, type text, created_at timestamptz,
    content jsonb, attributes jsonb)
  ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, attributes = t.attributes || EXCLUDED.attributes
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> jsonb_array_length(p_events) THEN RAISE EXCEPTION 'event belongs to a different project'; END IF;
END;
$fn$;

-- The general cycle check (children-first arrays only): the id of a span on a parent
-- cycle among the new spans, or NULL. p_links holds each new span whose parent is a new
-- span of the batch. Linear rounds, about log2(n) + 2 of them.
CREATE FUNCTION private.ingest_span_cycle(p_links private.ingest_link[])
RETURNS uuid
LANGUAGE plpgsql IMMUTABLE SET search_path = '' AS $fn$
DECLARE
  v_links private.ingest_link[] := p_links;
  v_rounds integer := 0;
BEGIN
  WHILE cardinality(v_links) > 0 AND (1::bigint << least(v_rounds, 62)) <= 2 * cardinality(p_links) LOOP
    -- A span whose ancestor has left the set (its chain reaches a root) leaves it too.
    v_links := ARRAY(
      SELECT ROW(a.id, b.ancestor_id)::private.ingest_link
      FROM unnest(v_links) a JOIN unnest(v_links) b ON b.id = a.ancestor_id);
    v_rounds := v_rounds + 1;
  END LOOP;
  -- Each remaining span's ancestor is 2^rounds > n steps up: on the cycle itself.
  RETURN (v_links[1]).ancestor_id;
END;
$fn$;

CREATE OR REPLACE FUNCTION private.ingest_batch(
  p_project_id uuid,
  p_sessions jsonb DEFAULT '[]'::jsonb,
  p_runs jsonb DEFAULT '[]'::jsonb,
  p_spans jsonb DEFAULT '[]'::jsonb,
  p_events jsonb DEFAULT '[]'::jsonb
) RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = private, pg_temp
-- Every table access here is a primary-key probe for ids the batch names. Without this,
-- a table whose statistics say "empty" (new, or just truncated) gets a Seq Scan that tests
-- each row against the whole id array: quadratic until the next ANALYZE.
SET enable_seqscan = off
AS $fn$
DECLARE
  v_sessions private.ingest_key[];
  v_runs private.ingest_key[];
  v_spans private.ingest_key[];
  v_events private.ingest_key[];
  v_old_sessions private.ingest_stored[];
  v_old_runs private.ingest_stored[];
  v_old_spans private.ingest_stored[];
  v_old_events private.ingest_stored[];
  v_rank integer;
  v_problem text;
  v_parents_first boolean;
  v_cycle uuid;
BEGIN
  IF p_project_id IS NULL OR NOT EXISTS (SELECT 1 FROM private.projects WHERE id = p_project_id) THEN
    RAISE EXCEPTION 'project % not found', COALESCE(p_project_id::text, '<NULL>');
  END IF;
  p_sessions := COALESCE(p_sessions, '[]'::jsonb);
  p_runs := COALESCE(p_runs, '[]'::jsonb);
  p_spans := COALESCE(p_spans, '[]'::jsonb);
  p_events := COALESCE(p_events, '[]'::jsonb);
  IF jsonb_typeof(p_sessions) <> 'array' THEN RAISE EXCEPTION 'sessions must be a JSON array'; END IF;
  IF jsonb_typeof(p_runs) <> 'array' THEN RAISE EXCEPTION 'runs must be a JSON array'; END IF;
  IF jsonb_typeof(p_spans) <> 'array' THEN RAISE EXCEPTION 'spans must be a JSON array'; END IF;
  IF jsonb_typeof(p_events) <> 'array' THEN RAISE EXCEPTION 'events must be a JSON array'; END IF;
  IF jsonb_array_length(p_sessions) + jsonb_array_length(p_runs) + jsonb_array_length(p_spans)
     + jsonb_array_length(p_events) > private.max_batch_records() THEN
    RAISE EXCEPTION 'batch exceeds maximum of % records', private.max_batch_records();
  END IF;

  -- 1. The keys of every record, in array order (required fields only tested for presence).
  SELECT
    ARRAY(SELECT ROW(r.id, NULL, NULL, r.project_id, r.id IS NOT NULL AND r.created_at IS NOT NULL)::private.ingest_key
      FROM jsonb_to_recordset(p_sessions) AS r(id uuid, project_id uuid, created_at text)),
    ARRAY(SELECT ROW(r.id, r.session_id, NULL, r.project_id, r.id IS NOT NULL AND r.session_id IS NOT NULL
        AND r.name IS NOT NULL AND r.started_at IS NOT NULL AND r.status IS NOT NULL)::private.ingest_key
      FROM jsonb_to_recordset(p_runs) AS r(id uuid, session_id uuid, project_id uuid, name text, started_at text,
        status text)),
    ARRAY(SELECT ROW(r.id, r.run_id, r.parent_span_id, r.project_id, r.id IS NOT NULL AND r.run_id IS NOT NULL
        AND r.kind IS NOT NULL AND r.name IS NOT NULL AND r.started_at IS NOT NULL AND r.status IS NOT NULL)::private.ingest_key
      FROM jsonb_to_recordset(p_spans) AS r(id uuid, run_id uuid, parent_span_id uuid, project_id uuid, kind text,
        name text, started_at text, status text)),
    ARRAY(SELECT ROW(r.id, r.run_id, r.span_id, r.project_id, r.id IS NOT NULL AND r.run_id IS NOT NULL
        AND r.type IS NOT NULL AND r.created_at IS NOT NULL)::private.ingest_key
      FROM jsonb_to_recordset(p_events) AS r(id uuid, run_id uuid, span_id uuid, project_id uuid, type text,
        created_at text))
  INTO v_sessions, v_runs, v_spans, v_events;

  -- 2. One lookup of what is stored for every id the batch names: primary-key probes only.
  SELECT
    ARRAY(SELECT ROW(t.id, t.project_id, NULL)::private.ingest_stored FROM private.sessions t
      WHERE t.id = ANY (ARRAY(SELECT k.id FROM unnest(v_sessions) k UNION SELECT k.ref FROM unnest(v_runs) k))),
    -- The stored runs are locked as a foreign key's check would lock them, once per run:
    -- a concurrent delete of one waits for this batch (029 relies on it).
    ARRAY(SELECT ROW(t.id, t.project_id, NULL)::private.ingest_stored FROM private.runs t
      WHERE t.id = ANY (ARRAY(SELECT k.id FROM unnest(v_runs) k UNION SELECT k.ref FROM unnest(v_spans) k
        UNION SELECT k.ref FROM unnest(v_events) k)) FOR KEY SHARE),
    ARRAY(SELECT ROW(t.id, t.project_id, t.run_id)::private.ingest_stored FROM private.spans t
      WHERE t.id = ANY (ARRAY(SELECT k.id FROM unnest(v_spans) k UNION SELECT k.ref2 FROM unnest(v_spans) k
        UNION SELECT k.ref2 FROM unnest(v_events) k))),
    ARRAY(SELECT ROW(t.id, t.project_id, NULL)::private.ingest_stored FROM private.events t
      WHERE t.id = ANY (ARRAY(SELECT k.id FROM unnest(v_events) k)))
  INTO v_old_sessions, v_old_runs, v_old_spans, v_old_events;

  -- 3. Every refusal, from the keys and the lookup, in 006's order (rank), and whether the
  -- new spans come parents first.
  WITH
  ses AS (SELECT k.id, k.project_id, k.complete, o.project_id AS stored_project
    FROM unnest(v_sessions) k LEFT JOIN unnest(v_old_sessions) o ON o.id = k.id),
  run AS (SELECT k.id, k.ref AS session_id, k.project_id, k.complete, o.project_id AS stored_project
    FROM unnest(v_runs) k LEFT JOIN unnest(v_old_runs) o ON o.id = k.id),
  spa AS (SELECT k.id, k.ref AS run_id, k.ref2 AS parent_span_id, k.project_id, k.complete, k.ord,
      o.id IS NOT NULL AS stored, o.project_id AS stored_project, o.run_id AS stored_run
    FROM unnest(v_spans) WITH ORDINALITY AS k(id, ref, ref2, project_id, complete, ord)
    LEFT JOIN unnest(v_old_spans) o ON o.id = k.id),
  eve AS (SELECT k.id, k.ref AS run_id, k.ref2 AS span_id, k.project_id, k.complete, o.project_id AS stored_project
    FROM unnest(v_events) k LEFT JOIN unnest(v_old_events) o ON o.id = k.id),
  -- What a reference resolves to: the batch's row (written with p_project_id) or the
  -- stored one; a stored span keeps its run.
  ses_ref AS (SELECT id, p_project_id AS project_id FROM ses
    UNION ALL SELECT o.id, o.project_id FROM unnest(v_old_sessions) o WHERE NOT EXISTS (SELECT 1 FROM ses WHERE ses.id = o.id)),
  run_ref AS (SELECT id, p_project_id AS project_id FROM run
    UNION ALL SELECT o.id, o.project_id FROM unnest(v_old_runs) o WHERE NOT EXISTS (SELECT 1 FROM run WHERE run.id = o.id)),
  spa_ref AS (SELECT id, COALESCE(stored_project, p_project_id) AS project_id, COALESCE(stored_run, run_id) AS run_id,
      NOT stored AS fresh, ord FROM spa
    UNION ALL SELECT o.id, o.project_id, o.run_id, false, NULL FROM unnest(v_old_spans) o
      WHERE NOT EXISTS (SELECT 1 FROM spa WHERE spa.id = o.id)),
  problem AS (
    SELECT 1 AS rank, format('session %s needs an id and created_at', COALESCE(s.id::text, '<NULL>')) AS msg
      FROM ses s WHERE NOT s.complete
    UNION ALL SELECT 2, format('session %s belongs to a different project', s.id)
      FROM ses s WHERE s.project_id <> p_project_id OR s.stored_project <> p_project_id
    UNION ALL SELECT 3, format('session %s appears more than once in the batch', s.id)
      FROM ses s GROUP BY s.id HAVING count(*) > 1
    UNION ALL SELECT 4, format('run %s needs an id, session_id, name, started_at and status', COALESCE(r.id::text, '<NULL>'))
      FROM run r WHERE NOT r.complete
    UNION ALL SELECT 5, format('run %s belongs to a different project', r.id)
      FROM run r WHERE r.project_id <> p_project_id OR r.stored_project <> p_project_id
    UNION ALL SELECT 6, format('run %s appears more than once in the batch', r.id)
      FROM run r GROUP BY r.id HAVING count(*) > 1
    UNION ALL SELECT 7, CASE WHEN x.id IS NULL THEN format('session %s not found for project', r.session_id)
                             ELSE format('session %s belongs to a different project', r.session_id) END
      FROM run r LEFT JOIN ses_ref x ON x.id = r.session_id
      WHERE x.id IS NULL OR x.project_id <> p_project_id
    UNION ALL SELECT 8, format('span %s needs an id, run_id, kind, name, started_at and status', COALESCE(s.id::text, '<NULL>'))
      FROM spa s WHERE NOT s.complete
    UNION ALL SELECT 9, format('span %s belongs to a different project', s.id)
      FROM spa s WHERE s.project_id <> p_project_id OR s.stored_project <> p_project_id
    UNION ALL SELECT 10, format('span %s appears more than once in the batch', s.id)
      FROM spa s GROUP BY s.id HAVING count(*) > 1
    UNION ALL SELECT 11, CASE WHEN x.id IS NULL THEN format('run %s not found for project', s.run_id)
                              ELSE format('run %s belongs to a different project', s.run_id) END
      FROM spa s LEFT JOIN run_ref x ON x.id = s.run_id
      WHERE x.id IS NULL OR x.project_id <> p_project_id
    -- Parents: only new spans are checked (a stored span keeps its first parent).
    UNION ALL SELECT 12, CASE
        WHEN x.id IS NULL THEN format('parent span %s not found for project', s.parent_span_id)
        WHEN x.project_id <> p_project_id THEN format('parent span %s belongs to a different project', s.parent_span_id)
        ELSE format('parent span %s of span %s belongs to a different run', s.parent_span_id, s.id) END
      FROM spa s LEFT JOIN spa_ref x ON x.id = s.parent_span_id
      WHERE s.parent_span_id IS NOT NULL AND NOT s.stored
        AND (x.id IS NULL OR x.project_id <> p_project_id OR x.run_id <> s.run_id)
    UNION ALL SELECT 14, format('event %s needs an id, run_id, type and created_at', COALESCE(e.id::text, '<NULL>'))
      FROM eve e WHERE NOT e.complete
    UNION ALL SELECT 15, format('event %s belongs to a different project', e.id)
      FROM eve e WHERE e.project_id <> p_project_id OR e.stored_project <> p_project_id
    UNION ALL SELECT 16, format('event %s appears more than once in the batch', e.id)
      FROM eve e GROUP BY e.id HAVING count(*) > 1
    UNION ALL SELECT 17, CASE WHEN x.id IS NULL THEN format('run %s not found for project', e.run_id)
                              ELSE format('run %s belongs to a different project', e.run_id) END
      FROM eve e LEFT JOIN run_ref x ON x.id = e.run_id
      WHERE x.id IS NULL OR x.project_id <> p_project_id
    UNION ALL SELECT 18, CASE
        WHEN x.id IS NULL THEN format('span %s not found for project', e.span_id)
        WHEN x.project_id <> p_project_id THEN format('span %s belongs to a different project', e.span_id)
        ELSE format('span %s of event %s belongs to a different run', e.span_id, e.id) END
      FROM eve e LEFT JOIN spa_ref x ON x.id = e.span_id
      WHERE e.span_id IS NOT NULL AND (x.id IS NULL OR x.project_id <> p_project_id OR x.run_id <> e.run_id)
  ), first_problem AS (SELECT p.rank, p.msg FROM problem p ORDER BY p.rank LIMIT 1)
  SELECT (SELECT rank FROM first_problem), (SELECT msg FROM first_problem),
    -- count(*), not NOT EXISTS: an EXISTS is planned for its first row (a nested loop).
    (SELECT count(*) = 0 FROM spa s JOIN spa_ref x ON x.id = s.parent_span_id
     WHERE NOT s.stored AND x.fresh AND x.ord >= s.ord)
  INTO v_rank, v_problem, v_parents_first;
  -- 13. Cycles, after the parent refusals (12) and before the event ones, as in 006.
  IF NOT v_parents_first AND (v_rank IS NULL OR v_rank > 12) THEN
    v_cycle := private.ingest_span_cycle(ARRAY(
      SELECT ROW(s.id, s.ref2)::private.ingest_link
      FROM unnest(v_spans) s JOIN unnest(v_spans) p ON p.id = s.ref2
      WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old_spans) o WHERE o.id = s.id)
        AND NOT EXISTS (SELECT 1 FROM unnest(v_old_spans) o WHERE o.id = p.id)));
    IF v_cycle IS NOT NULL THEN RAISE EXCEPTION 'span % is part of a parent cycle', v_cycle; END IF;
  END IF;
  IF v_problem IS NOT NULL THEN RAISE EXCEPTION '%', v_problem; END IF;

  -- 4. The writes, in one statement (the run_id foreign keys are checked at its end), each
  -- list parsed in full once, here. New rows: plain INSERT. Stored rows: UPDATE, and only
  -- those the merge changes (an identical re-send writes nothing). A concurrent insert of
  -- one of the new ids is caught and the whole write redone as an upsert (see the header).
  BEGIN
    WITH
    new_sessions AS (
      INSERT INTO private.sessions (id, project_id, created_at, ended_at, metadata)
      SELECT r.id, p_project_id, r.created_at, r.ended_at, COALESCE(r.metadata, '{}'::jsonb)
      FROM jsonb_to_recordset(p_sessions) AS r(id uuid, created_at timestamptz, ended_at timestamptz, metadata jsonb)
      WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old_sessions) o WHERE o.id = r.id)),
    old_sessions AS (
      UPDATE private.sessions t SET ended_at = COALESCE(r.ended_at, t.ended_at),
        metadata = t.metadata || COALESCE(r.metadata, '{}'::jsonb)
      FROM jsonb_to_recordset(p_sessions) AS r(id uuid, ended_at timestamptz, metadata jsonb)
      WHERE cardinality(v_old_sessions) > 0 AND t.id = ANY (ARRAY(SELECT o.id FROM unnest(v_old_sessions) o))
        AND t.id = r.id
        AND (t.ended_at IS DISTINCT FROM COALESCE(r.ended_at, t.ended_at)
          OR t.metadata <> t.metadata || COALESCE(r.metadata, '{}'::jsonb))),
    new_runs AS (
      INSERT INTO private.runs (id, session_id, project_id, name, started_at, ended_at, status, error, metadata)
      SELECT r.id, r.session_id, p_project_id, r.name, r.started_at, r.ended_at, r.status, r.error,
        COALESCE(r.metadata, '{}'::jsonb)
      FROM jsonb_to_recordset(p_runs) AS r(id uuid, session_id uuid, name text, started_at timestamptz,
        ended_at timestamptz, status text, error jsonb, metadata jsonb)
      WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old_runs) o WHERE o.id = r.id)),
    old_runs AS (
      UPDATE private.runs t SET ended_at = COALESCE(r.ended_at, t.ended_at),
        status = CASE WHEN t.status <> 'running' AND r.status = 'running' THEN t.status ELSE r.status END,
        error = COALESCE(r.error, t.error), metadata = t.metadata || COALESCE(r.metadata, '{}'::jsonb)
      FROM jsonb_to_recordset(p_runs) AS r(id uuid, ended_at timestamptz, status text, error jsonb, metadata jsonb)
      WHERE cardinality(v_old_runs) > 0 AND t.id = ANY (ARRAY(SELECT o.id FROM unnest(v_old_runs) o))
        AND t.id = r.id
        AND (t.ended_at IS DISTINCT FROM COALESCE(r.ended_at, t.ended_at)
          OR t.status <> CASE WHEN t.status <> 'running' AND r.status = 'running' THEN t.status ELSE r.status END
          OR t.error IS DISTINCT FROM COALESCE(r.error, t.error)
          OR t.metadata <> t.metadata || COALESCE(r.metadata, '{}'::jsonb))),
    new_spans AS (
      INSERT INTO private.spans (id, run_id, project_id, parent_span_id, kind, name, started_at, ended_at, status,
        error, iteration, attributes)
      SELECT r.id, r.run_id, p_project_id, r.parent_span_id, r.kind, r.name, r.started_at, r.ended_at, r.status,
        r.error, r.iteration, COALESCE(r.attributes, '{}'::jsonb)
      FROM jsonb_to_recordset(p_spans) AS r(id uuid, run_id uuid, parent_span_id uuid, kind text, name text,
        started_at timestamptz, ended_at timestamptz, status text, error jsonb, iteration integer, attributes jsonb)
      WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old_spans) o WHERE o.id = r.id)),
    old_spans AS (
      UPDATE private.spans t SET ended_at = COALESCE(r.ended_at, t.ended_at),
        status = CASE WHEN t.status <> 'running' AND r.status = 'running' THEN t.status ELSE r.status END,
        error = COALESCE(r.error, t.error), attributes = t.attributes || COALESCE(r.attributes, '{}'::jsonb)
      FROM jsonb_to_recordset(p_spans) AS r(id uuid, ended_at timestamptz, status text, error jsonb, attributes jsonb)
      WHERE cardinality(v_old_spans) > 0 AND t.id = ANY (ARRAY(SELECT o.id FROM unnest(v_old_spans) o))
        AND t.id = r.id
        AND (t.ended_at IS DISTINCT FROM COALESCE(r.ended_at, t.ended_at)
          OR t.status <> CASE WHEN t.status <> 'running' AND r.status = 'running' THEN t.status ELSE r.status END
          OR t.error IS DISTINCT FROM COALESCE(r.error, t.error)
          OR t.attributes <> t.attributes || COALESCE(r.attributes, '{}'::jsonb))),
    new_events AS (
      INSERT INTO private.events (id, run_id, span_id, project_id, type, created_at, content, attributes)
      SELECT r.id, r.run_id, r.span_id, p_project_id, r.type, r.created_at, COALESCE(r.content, 'null'::jsonb),
        COALESCE(r.attributes, '{}'::jsonb)
      FROM jsonb_to_recordset(p_events) AS r(id uuid, run_id uuid, span_id uuid, type text, created_at timestamptz,
        content jsonb, attributes jsonb)
      WHERE NOT EXISTS (SELECT 1 FROM unnest(v_old_events) o WHERE o.id = r.id))
    UPDATE private.events t SET content = COALESCE(r.content, 'null'::jsonb),
      attributes = t.attributes || COALESCE(r.attributes, '{}'::jsonb)
    FROM jsonb_to_recordset(p_events) AS r(id uuid, content jsonb, attributes jsonb)
    WHERE cardinality(v_old_events) > 0 AND t.id = ANY (ARRAY(SELECT o.id FROM unnest(v_old_events) o))
      AND t.id = r.id
      AND (t.content <> COALESCE(r.content, 'null'::jsonb) OR t.attributes <> t.attributes || COALESCE(r.attributes, '{}'::jsonb));
  EXCEPTION WHEN unique_violation THEN
    PERFORM private.ingest_upsert(p_project_id, p_sessions, p_runs, p_spans, p_events);
  END;

  RETURN jsonb_build_object('accepted', true, 'counts', jsonb_build_object(
    'sessions', cardinality(v_sessions), 'runs', cardinality(v_runs),
    'spans', cardinality(v_spans), 'events', cardinality(v_events)));
END;
$fn$;

-- Most batches carry no prompt links: answer without parsing or querying.
CREATE OR REPLACE FUNCTION private.ingest_batch_with_prompt_links(p_project_id uuid, p_sessions jsonb DEFAULT '[]'::jsonb,
  p_runs jsonb DEFAULT '[]'::jsonb, p_spans jsonb DEFAULT '[]'::jsonb, p_events jsonb DEFAULT '[]'::jsonb,
  p_prompt_links jsonb DEFAULT '[]'::jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  RETURN jsonb_build_object('accepted', true,
    'ingest', private.ingest_batch(p_project_id, p_sessions, p_runs, p_spans, p_events),
    'prompt_links', CASE WHEN p_prompt_links IS NULL OR p_prompt_links = '[]'::jsonb
      THEN jsonb_build_object('accepted', true, 'counts', jsonb_build_object('prompt_links', 0))
      ELSE private.link_trace_prompt_links(p_project_id, p_prompt_links) END);
END;
$$;

REVOKE ALL ON FUNCTION private.ingest_upsert(uuid, jsonb, jsonb, jsonb, jsonb),
  private.ingest_span_cycle(private.ingest_link[]) FROM PUBLIC, anon, authenticated;
REVOKE ALL ON TYPE private.ingest_key, private.ingest_stored, private.ingest_link FROM PUBLIC;
