-- 035 OTLP ingest (issue 12): the write for a prepared OTLP export, which must store every
-- span whichever request it arrives in and end in exactly the trace's state whatever the
-- arrival order. A batch span processor exports spans as they end: children before
-- parents, across several requests, the root (which names the run) usually last.
--
--   * runs: one per trace. A run written without its root span is provisional (earliest
--     span's start and name, no end, status running). With its root the incoming run's
--     name/started_at/ended_at/status/error win; without, a stored root run keeps its values;
--     two provisional versions keep the least (started_at, name). `otlp_has_root` (NULL for
--     SDK runs) is stored OR incoming; metadata merges stored || incoming.
--   * sessions: the run's session is the best by (rank, then smallest id) of the stored and
--     the incoming one (rank 2: the root span named it; 1: another span did; 0: the trace's
--     own), kept in `otlp_session_rank`. A session a moved run left empty is deleted;
--     created_at is the earliest start of the session's runs.
--   * spans: a parent that is neither stored nor in the batch is not an error: the span is
--     stored as a root (parent_span_id NULL) and the wanted parent kept in
--     `pending_parent_span_id`; when that span arrives, its waiting children adopt it
--     (never making a cycle: a child whose wanted parent descends from it keeps waiting).
--     Read models need no change: a waiting span shows as a root until its parent arrives.
--   * spans, events, scores, warnings: written by 033's private.ingest_prepared_batch (so
--     027's checks: ownership, same-run parents, no cycles, atomicity) with the sessions
--     and runs this function already wrote.
--   * prompt links naming a prompt version that is not stored are skipped with a warning
--     row (code prompt_version_not_found): an OTel attribute naming a prompt is a hint,
--     and an exporter cannot fix it by retrying, so it must not cost the trace.
--   * concurrency: the requests of one trace are serialised by a transaction-level
--     advisory lock per run (taken in id order), so the read-then-write of the run and the
--     adoption of waiting children never miss a concurrent request's spans; then one per
--     session (the runs' new and former sessions, in id order), so a shared session's
--     created_at and the deletion of an emptied one see every committed run.
-- Every table access is a primary-key or index probe (enable_seqscan off, as 027).

ALTER TABLE private.runs ADD COLUMN otlp_has_root boolean, ADD COLUMN otlp_session_rank smallint;
ALTER TABLE private.spans ADD COLUMN pending_parent_span_id uuid;
CREATE INDEX idx_spans_pending_parent ON private.spans (pending_parent_span_id)
  WHERE pending_parent_span_id IS NOT NULL;

COMMENT ON COLUMN private.runs.otlp_has_root IS
  'OTLP runs: whether the trace''s root span has been stored (NULL for SDK runs).';
COMMENT ON COLUMN private.runs.otlp_session_rank IS
  'OTLP runs: where the run''s session came from: 2 root span attribute, 1 another span''s, 0 the trace''s own.';
COMMENT ON COLUMN private.spans.pending_parent_span_id IS
  'OTLP spans stored before their parent: the parent''s id; parent_span_id is set when it arrives.';

-- A run's final state for one request.
CREATE TYPE private.otlp_run_state AS (id uuid, old_session_id uuid, session_id uuid, session_rank smallint,
  name text, started_at timestamptz, ended_at timestamptz, status text, error jsonb, metadata jsonb,
  has_root boolean);

CREATE FUNCTION private.ingest_otlp_batch(p_project_id uuid, p_sessions jsonb, p_runs jsonb, p_spans jsonb,
  p_events jsonb, p_prompt_links jsonb, p_scores jsonb, p_warnings jsonb, p_trace_runs jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' SET enable_seqscan = off AS $fn$
DECLARE
  v_runs private.otlp_run_state[];
  v_links private.ingest_link[];
  v_pending private.ingest_link[];
  v_span_ids uuid[];
  v_known uuid[];
  v_problem text;
  v_kept_links jsonb;
  v_warnings jsonb := COALESCE(p_warnings, '[]'::jsonb);
  v_adopted bigint;
BEGIN
  IF p_project_id IS NULL OR NOT EXISTS (SELECT 1 FROM private.projects WHERE id = p_project_id) THEN
    RAISE EXCEPTION 'project % not found', COALESCE(p_project_id::text, '<NULL>');
  END IF;
  p_sessions := COALESCE(p_sessions, '[]'::jsonb);
  p_runs := COALESCE(p_runs, '[]'::jsonb);
  p_spans := COALESCE(p_spans, '[]'::jsonb);
  p_events := COALESCE(p_events, '[]'::jsonb);
  p_prompt_links := COALESCE(p_prompt_links, '[]'::jsonb);
  p_scores := COALESCE(p_scores, '[]'::jsonb);
  p_trace_runs := COALESCE(p_trace_runs, '[]'::jsonb);
  IF jsonb_typeof(p_sessions) <> 'array' THEN RAISE EXCEPTION 'sessions must be a JSON array'; END IF;
  IF jsonb_typeof(p_runs) <> 'array' THEN RAISE EXCEPTION 'runs must be a JSON array'; END IF;
  IF jsonb_typeof(p_spans) <> 'array' THEN RAISE EXCEPTION 'spans must be a JSON array'; END IF;
  IF jsonb_typeof(p_prompt_links) <> 'array' THEN RAISE EXCEPTION 'prompt_links must be a JSON array'; END IF;
  IF jsonb_typeof(p_trace_runs) <> 'array' THEN RAISE EXCEPTION 'trace_runs must be a JSON array'; END IF;

  -- One trace at a time: the requests of one trace are serialised, in id order (no deadlock).
  PERFORM pg_advisory_xact_lock(hashtextextended('northstar.otlp_run:' || t.id::text, 0))
  FROM (SELECT DISTINCT r.id FROM jsonb_to_recordset(p_runs) AS r(id uuid) WHERE r.id IS NOT NULL ORDER BY r.id) t;

  -- 1. Refusals for what this function writes itself (sessions and runs); 027 checks the rest.
  WITH
  ses AS (SELECT r.id, r.created_at FROM jsonb_to_recordset(p_sessions) AS r(id uuid, created_at timestamptz)),
  run AS (SELECT r.id, r.session_id, r.name, r.started_at, r.status, t.id AS traced
    FROM jsonb_to_recordset(p_runs) AS r(id uuid, session_id uuid, name text, started_at timestamptz, status text)
    LEFT JOIN jsonb_to_recordset(p_trace_runs) AS t(id uuid) ON t.id = r.id),
  problem AS (
    SELECT 1 AS rank, format('session %s needs an id and created_at', COALESCE(s.id::text, '<NULL>')) AS msg
      FROM ses s WHERE s.id IS NULL OR s.created_at IS NULL
    UNION ALL SELECT 2, format('session %s belongs to a different project', t.id) FROM private.sessions t
      WHERE t.id = ANY (ARRAY(SELECT s.id FROM ses s)) AND t.project_id <> p_project_id
    UNION ALL SELECT 3, format('session %s appears more than once in the batch', s.id)
      FROM ses s GROUP BY s.id HAVING count(*) > 1
    UNION ALL SELECT 4, format('run %s needs an id, session_id, name, started_at and status', COALESCE(r.id::text, '<NULL>'))
      FROM run r WHERE r.id IS NULL OR r.session_id IS NULL OR r.name IS NULL OR r.started_at IS NULL OR r.status IS NULL
    UNION ALL SELECT 5, format('run %s belongs to a different project', t.id) FROM private.runs t
      WHERE t.id = ANY (ARRAY(SELECT r.id FROM run r)) AND t.project_id <> p_project_id
    UNION ALL SELECT 6, format('run %s appears more than once in the batch', r.id)
      FROM run r GROUP BY r.id HAVING count(*) > 1
    UNION ALL SELECT 7, format('run %s has no trace_runs entry', r.id) FROM run r WHERE r.traced IS NULL
    UNION ALL SELECT 8, format('session %s not found for project', r.session_id) FROM run r
      WHERE NOT EXISTS (SELECT 1 FROM ses s WHERE s.id = r.session_id)
  )
  SELECT p.msg INTO v_problem FROM problem p ORDER BY p.rank LIMIT 1;
  IF v_problem IS NOT NULL THEN RAISE EXCEPTION '%', v_problem; END IF;

  -- 2. Each run's final state: the stored run (locked) merged with the incoming one.
  v_runs := ARRAY(
    SELECT ROW(i.id, o.session_id,
      CASE WHEN o.id IS NULL OR i.session_rank > COALESCE(o.otlp_session_rank, -1)
             OR (i.session_rank = o.otlp_session_rank AND i.session_id < o.session_id)
           THEN i.session_id ELSE o.session_id END,
      CASE WHEN o.id IS NULL THEN i.session_rank ELSE greatest(i.session_rank, COALESCE(o.otlp_session_rank, -1)) END,
      CASE WHEN i.has_root OR o.id IS NULL THEN i.name WHEN o.otlp_has_root THEN o.name
           WHEN (i.started_at, i.name) < (o.started_at, o.name) THEN i.name ELSE o.name END,
      CASE WHEN i.has_root OR o.id IS NULL THEN i.started_at WHEN o.otlp_has_root THEN o.started_at
           WHEN (i.started_at, i.name) < (o.started_at, o.name) THEN i.started_at ELSE o.started_at END,
      CASE WHEN i.has_root OR o.id IS NULL THEN i.ended_at WHEN o.otlp_has_root THEN o.ended_at ELSE NULL END,
      CASE WHEN i.has_root OR o.id IS NULL THEN i.status WHEN o.otlp_has_root THEN o.status ELSE 'running' END,
      CASE WHEN i.has_root OR o.id IS NULL THEN i.error WHEN o.otlp_has_root THEN o.error ELSE NULL END,
      COALESCE(o.metadata, '{}'::jsonb) || COALESCE(i.metadata, '{}'::jsonb),
      i.has_root OR COALESCE(o.otlp_has_root, false))::private.otlp_run_state
    FROM (SELECT r.*, COALESCE(t.has_root, false) AS has_root, COALESCE(t.session_rank, 0)::smallint AS session_rank
          FROM jsonb_to_recordset(p_runs) AS r(id uuid, session_id uuid, name text, started_at timestamptz,
            ended_at timestamptz, status text, error jsonb, metadata jsonb)
          JOIN jsonb_to_recordset(p_trace_runs) AS t(id uuid, has_root boolean, session_rank integer) ON t.id = r.id) i
    LEFT JOIN (SELECT t.* FROM private.runs t
               WHERE t.id = ANY (ARRAY(SELECT r.id FROM jsonb_to_recordset(p_runs) AS r(id uuid))) FOR UPDATE) o
      ON o.id = i.id);

  -- One session at a time too (several traces may share a conversation): its created_at and
  -- the deletion of an emptied one then see every committed run. Taken after all run locks,
  -- in id order, so two requests never wait on each other in a circle.
  PERFORM pg_advisory_xact_lock(hashtextextended('northstar.otlp_session:' || t.id::text, 0))
  FROM (SELECT DISTINCT v.id FROM unnest(v_runs) r, LATERAL (VALUES (r.session_id), (r.old_session_id)) AS v(id)
        WHERE v.id IS NOT NULL ORDER BY v.id) t;

  -- 3. Sessions the runs end in (new ones inserted, stored ones' metadata merged), then the
  -- runs, then the sessions a moved run left empty, then each touched session's created_at.
  INSERT INTO private.sessions AS t (id, project_id, created_at, ended_at, metadata)
  SELECT s.id, p_project_id, s.created_at, s.ended_at, COALESCE(s.metadata, '{}'::jsonb)
  FROM jsonb_to_recordset(p_sessions) AS s(id uuid, created_at timestamptz, ended_at timestamptz, metadata jsonb)
  WHERE s.id IN (SELECT r.session_id FROM unnest(v_runs) r)
  ON CONFLICT (id) DO UPDATE SET ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),
    metadata = t.metadata || EXCLUDED.metadata
  WHERE t.project_id = EXCLUDED.project_id
    AND (t.ended_at IS DISTINCT FROM COALESCE(EXCLUDED.ended_at, t.ended_at) OR t.metadata <> t.metadata || EXCLUDED.metadata);

  INSERT INTO private.runs AS t (id, session_id, project_id, name, started_at, ended_at, status, error, metadata,
    otlp_has_root, otlp_session_rank)
  SELECT r.id, r.session_id, p_project_id, r.name, r.started_at, r.ended_at, r.status, r.error, r.metadata,
    r.has_root, r.session_rank
  FROM unnest(v_runs) r
  ON CONFLICT (id) DO UPDATE SET session_id = EXCLUDED.session_id, name = EXCLUDED.name,
    started_at = EXCLUDED.started_at, ended_at = EXCLUDED.ended_at, status = EXCLUDED.status, error = EXCLUDED.error,
    metadata = EXCLUDED.metadata, otlp_has_root = EXCLUDED.otlp_has_root, otlp_session_rank = EXCLUDED.otlp_session_rank
  WHERE t.project_id = EXCLUDED.project_id
    AND (t.session_id, t.name, t.started_at, t.ended_at, t.status, t.error, t.metadata, t.otlp_has_root,
         t.otlp_session_rank)
      IS DISTINCT FROM (EXCLUDED.session_id, EXCLUDED.name, EXCLUDED.started_at, EXCLUDED.ended_at, EXCLUDED.status,
         EXCLUDED.error, EXCLUDED.metadata, EXCLUDED.otlp_has_root, EXCLUDED.otlp_session_rank);

  DELETE FROM private.sessions s
  WHERE s.id = ANY (ARRAY(SELECT r.old_session_id FROM unnest(v_runs) r WHERE r.old_session_id <> r.session_id))
    AND s.project_id = p_project_id
    AND NOT EXISTS (SELECT 1 FROM private.runs x WHERE x.session_id = s.id);

  UPDATE private.sessions s SET created_at = m.first_start
  FROM (SELECT x.session_id, min(x.started_at) AS first_start FROM private.runs x
        WHERE x.session_id = ANY (ARRAY(SELECT DISTINCT r.session_id FROM unnest(v_runs) r))
        GROUP BY x.session_id) m
  WHERE s.id = m.session_id AND s.created_at <> m.first_start;

  -- 4. Spans whose parent is neither stored nor in the batch: stored as roots, waiting.
  v_links := ARRAY(SELECT ROW(s.id, s.parent_span_id)::private.ingest_link
    FROM jsonb_to_recordset(p_spans) AS s(id uuid, parent_span_id uuid) WHERE s.parent_span_id IS NOT NULL);
  v_span_ids := ARRAY(SELECT s.id FROM jsonb_to_recordset(p_spans) AS s(id uuid));
  -- Known parents: the batch's spans and the stored ones it names (primary-key probes).
  v_known := v_span_ids || ARRAY(SELECT t.id FROM private.spans t
    WHERE t.id = ANY (ARRAY(SELECT k.ancestor_id FROM unnest(v_links) k)));
  v_pending := ARRAY(SELECT l FROM unnest(v_links) l
    WHERE NOT EXISTS (SELECT 1 FROM unnest(v_known) AS b(id) WHERE b.id = l.ancestor_id));
  IF cardinality(v_pending) > 0 THEN
    p_spans := (SELECT jsonb_agg(CASE WHEN w.id IS NULL THEN e.elem ELSE jsonb_set(e.elem, '{parent_span_id}', 'null') END
        ORDER BY e.n)
      FROM jsonb_array_elements(p_spans) WITH ORDINALITY AS e(elem, n)
      LEFT JOIN unnest(v_pending) w ON w.id::text = e.elem->>'id');
  END IF;

  -- 5. Prompt links to a prompt version that is not stored: skipped, with a warning row.
  IF p_prompt_links <> '[]'::jsonb THEN
    SELECT COALESCE(jsonb_agg(e.elem ORDER BY e.n) FILTER (WHERE v.id IS NOT NULL), '[]'::jsonb),
      v_warnings || COALESCE(jsonb_agg(jsonb_build_object('kind', 'prompt_link', 'record_id', e.elem->'span_id',
          'path', format('prompt_links[%s]', e.n - 1), 'code', 'prompt_version_not_found',
          'message', format('prompt version %s not found for project; link skipped', e.elem->>'prompt_version_id'))
        ORDER BY e.n) FILTER (WHERE v.id IS NULL AND e.elem->>'span_id' IS NOT NULL), '[]'::jsonb)
    INTO v_kept_links, v_warnings
    FROM jsonb_array_elements(p_prompt_links) WITH ORDINALITY AS e(elem, n)
    LEFT JOIN private.prompt_versions v ON v.id = (e.elem->>'prompt_version_id')::uuid AND v.project_id = p_project_id;
  ELSE
    v_kept_links := '[]'::jsonb;
  END IF;

  -- 6. Spans, events, links, scores and warnings as the native path writes them.
  PERFORM private.ingest_prepared_batch(p_project_id, '[]'::jsonb, '[]'::jsonb, p_spans, p_events, v_kept_links,
    p_scores, v_warnings);

  UPDATE private.spans t SET pending_parent_span_id = w.ancestor_id
  FROM unnest(v_pending) w
  WHERE cardinality(v_pending) > 0 AND t.id = ANY (ARRAY(SELECT x.id FROM unnest(v_pending) x)) AND t.id = w.id
    AND t.project_id = p_project_id AND t.parent_span_id IS NULL
    AND t.pending_parent_span_id IS DISTINCT FROM w.ancestor_id;

  -- 7. Stored children waiting for a span of this batch adopt it, unless the parent descends
  -- from the child (following set and waiting parents alike), which would make a cycle.
  WITH RECURSIVE
  waiting AS (
    SELECT c.id AS child, c.pending_parent_span_id AS parent FROM private.spans c
    WHERE c.pending_parent_span_id = ANY (v_span_ids)
      AND c.project_id = p_project_id),
  up (child, node) AS (
    SELECT w.child, w.parent FROM waiting w
    UNION
    SELECT u.child, COALESCE(s.parent_span_id, s.pending_parent_span_id)
    FROM up u JOIN private.spans s ON s.id = u.node
    WHERE COALESCE(s.parent_span_id, s.pending_parent_span_id) IS NOT NULL AND u.node <> u.child)
  UPDATE private.spans c SET parent_span_id = c.pending_parent_span_id, pending_parent_span_id = NULL
  FROM waiting w JOIN private.spans p ON p.id = w.parent
  WHERE c.id = w.child AND p.project_id = c.project_id AND p.run_id = c.run_id
    AND NOT EXISTS (SELECT 1 FROM up u WHERE u.child = w.child AND u.node = w.child);
  GET DIAGNOSTICS v_adopted = ROW_COUNT;

  RETURN jsonb_build_object('accepted', true, 'counts', jsonb_build_object(
    'runs', cardinality(v_runs), 'spans', jsonb_array_length(p_spans),
    'waiting', cardinality(v_pending), 'adopted', v_adopted,
    'prompt_links_skipped', jsonb_array_length(p_prompt_links) - jsonb_array_length(v_kept_links)));
END;
$fn$;

COMMENT ON FUNCTION private.ingest_otlp_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) IS
  'The OTLP endpoint''s one statement: runs and sessions merged order-independently, spans stored even before their parent (waiting children adopt it when it arrives), then ingest_prepared_batch for the rest.';

REVOKE ALL ON FUNCTION private.ingest_otlp_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.ingest_otlp_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)
  TO service_role;
REVOKE ALL ON TYPE private.otlp_run_state FROM PUBLIC;
