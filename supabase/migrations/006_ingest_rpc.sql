-- 006 ingest RPC: private.ingest_batch, API-key resolution and revocation, row level
-- security on the trace tables, and the grants of the service role.
--
-- ingest_batch is set-based: each entity list is parsed once (jsonb_to_recordset) into
-- an array of table rows, every rule is one query over that array, and each kind is
-- written by one INSERT … ON CONFLICT. Guarantees, in the caller's transaction:
--   * tenant scoping: a record never moves to, or overwrites, another project's row; a
--     record's own project_id, when given, must be p_project_id;
--   * references exist in the same project, in this batch or stored earlier: a run's
--     session, a span's run and parent, an event's run and span; a span's parent and an
--     event's span belong to the same run; spans of one batch form no cycle (a span whose
--     parent is in the same batch works whatever the order of the array);
--   * re-sends never lose data: created_at/started_at/name/kind/parents keep their first
--     value, ended_at never goes back to NULL, a final status (ok, error) never goes back
--     to running, an omitted error keeps the stored one, metadata/attributes merge
--     shallowly (stored keys kept, sent keys win); an event's content is replaced;
--   * JSON null means "absent" for every optional field.
-- Every refusal is RAISE EXCEPTION (SQLSTATE P0001) with a message that names the record;
-- the messages the edge function matches on ("belongs to a different project", "not found
-- for project") are kept.

CREATE FUNCTION private.ingest_batch(
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
AS $fn$
DECLARE
  v_sessions private.sessions[];
  v_runs private.runs[];
  v_spans private.spans[];
  v_events private.events[];
  v_id uuid;
  v_other uuid;
  v_missing boolean;
  v_kind integer;
  v_written bigint;
BEGIN
  IF p_project_id IS NULL OR NOT EXISTS (SELECT 1 FROM projects WHERE id = p_project_id) THEN
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

  -- Parse each list once. A record's own project_id is kept here only to be checked.
  v_sessions := ARRAY(
    SELECT ROW(r.id, r.project_id, r.created_at, r.ended_at, r.metadata)::private.sessions
    FROM jsonb_to_recordset(p_sessions) AS r(id uuid, project_id uuid, created_at timestamptz,
      ended_at timestamptz, metadata jsonb));
  v_runs := ARRAY(
    SELECT ROW(r.id, r.session_id, r.project_id, r.name, r.started_at, r.ended_at, r.status, r.error,
      r.metadata)::private.runs
    FROM jsonb_to_recordset(p_runs) AS r(id uuid, session_id uuid, project_id uuid, name text,
      started_at timestamptz, ended_at timestamptz, status text, error jsonb, metadata jsonb));
  v_spans := ARRAY(
    SELECT ROW(r.id, r.run_id, r.project_id, r.parent_span_id, r.kind, r.name, r.started_at, r.ended_at,
      r.status, r.error, r.iteration, r.attributes)::private.spans
    FROM jsonb_to_recordset(p_spans) AS r(id uuid, run_id uuid, project_id uuid, parent_span_id uuid,
      kind text, name text, started_at timestamptz, ended_at timestamptz, status text, error jsonb,
      iteration integer, attributes jsonb));
  v_events := ARRAY(
    SELECT ROW(r.id, r.run_id, r.span_id, r.project_id, r.type, r.created_at, r.content,
      r.attributes)::private.events
    FROM jsonb_to_recordset(p_events) AS r(id uuid, run_id uuid, span_id uuid, project_id uuid,
      type text, created_at timestamptz, content jsonb, attributes jsonb));

  ------------------------------------------------------------------ sessions
  SELECT s.id INTO v_id FROM unnest(v_sessions) s WHERE s.id IS NULL OR s.created_at IS NULL LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'session % needs an id and created_at', COALESCE(v_id::text, '<NULL>'); END IF;
  SELECT s.id INTO v_id FROM unnest(v_sessions) s
  WHERE s.project_id <> p_project_id
     OR EXISTS (SELECT 1 FROM sessions t WHERE t.id = s.id AND t.project_id <> p_project_id)
  LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'session % belongs to a different project', v_id; END IF;
  SELECT s.id INTO v_id FROM unnest(v_sessions) s GROUP BY s.id HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'session % appears more than once in the batch', v_id; END IF;

  INSERT INTO sessions AS t (id, project_id, created_at, ended_at, metadata)
  SELECT s.id, p_project_id, s.created_at, s.ended_at, COALESCE(s.metadata, '{}'::jsonb)
  FROM unnest(v_sessions) s
  ON CONFLICT (id) DO UPDATE SET
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),
    metadata = t.metadata || EXCLUDED.metadata
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> cardinality(v_sessions) THEN
    -- Only a concurrent write of the same id by another project gets here.
    RAISE EXCEPTION 'session belongs to a different project';
  END IF;

  ------------------------------------------------------------------ runs
  SELECT r.id INTO v_id FROM unnest(v_runs) r
  WHERE r.id IS NULL OR r.session_id IS NULL OR r.name IS NULL OR r.started_at IS NULL OR r.status IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'run % needs an id, session_id, name, started_at and status', COALESCE(v_id::text, '<NULL>');
  END IF;
  SELECT r.id INTO v_id FROM unnest(v_runs) r
  WHERE r.project_id <> p_project_id
     OR EXISTS (SELECT 1 FROM runs t WHERE t.id = r.id AND t.project_id <> p_project_id)
  LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'run % belongs to a different project', v_id; END IF;
  SELECT r.id INTO v_id FROM unnest(v_runs) r GROUP BY r.id HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'run % appears more than once in the batch', v_id; END IF;
  SELECT r.session_id, t.id IS NULL INTO v_id, v_missing
  FROM unnest(v_runs) r LEFT JOIN sessions t ON t.id = r.session_id
  WHERE t.id IS NULL OR t.project_id <> p_project_id
  LIMIT 1;
  IF FOUND AND v_missing THEN RAISE EXCEPTION 'session % not found for project', v_id; END IF;
  IF FOUND THEN RAISE EXCEPTION 'session % belongs to a different project', v_id; END IF;

  INSERT INTO runs AS t (id, session_id, project_id, name, started_at, ended_at, status, error, metadata)
  SELECT r.id, r.session_id, p_project_id, r.name, r.started_at, r.ended_at, r.status, r.error,
    COALESCE(r.metadata, '{}'::jsonb)
  FROM unnest(v_runs) r
  ON CONFLICT (id) DO UPDATE SET
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),
    status = CASE WHEN t.status <> 'running' AND EXCLUDED.status = 'running' THEN t.status ELSE EXCLUDED.status END,
    error = COALESCE(EXCLUDED.error, t.error),
    metadata = t.metadata || EXCLUDED.metadata
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> cardinality(v_runs) THEN RAISE EXCEPTION 'run belongs to a different project'; END IF;

  ------------------------------------------------------------------ spans
  SELECT s.id INTO v_id FROM unnest(v_spans) s
  WHERE s.id IS NULL OR s.run_id IS NULL OR s.kind IS NULL OR s.name IS NULL OR s.started_at IS NULL
     OR s.status IS NULL
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'span % needs an id, run_id, kind, name, started_at and status', COALESCE(v_id::text, '<NULL>');
  END IF;
  SELECT s.id INTO v_id FROM unnest(v_spans) s
  WHERE s.project_id <> p_project_id
     OR EXISTS (SELECT 1 FROM spans t WHERE t.id = s.id AND t.project_id <> p_project_id)
  LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'span % belongs to a different project', v_id; END IF;
  SELECT s.id INTO v_id FROM unnest(v_spans) s GROUP BY s.id HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'span % appears more than once in the batch', v_id; END IF;
  SELECT s.run_id, t.id IS NULL INTO v_id, v_missing
  FROM unnest(v_spans) s LEFT JOIN runs t ON t.id = s.run_id
  WHERE t.id IS NULL OR t.project_id <> p_project_id
  LIMIT 1;
  IF FOUND AND v_missing THEN RAISE EXCEPTION 'run % not found for project', v_id; END IF;
  IF FOUND THEN RAISE EXCEPTION 'run % belongs to a different project', v_id; END IF;
  -- Parents: in this batch or stored, in this project, and of the same run. Only new
  -- spans are checked: a stored span keeps the parent it was first written with.
  WITH batch AS (
    SELECT s.id, s.run_id, s.parent_span_id, EXISTS (SELECT 1 FROM spans t WHERE t.id = s.id) AS existed
    FROM unnest(v_spans) s
  ), problem AS (
    SELECT b.id, b.parent_span_id,
      CASE
        WHEN inb.id IS NULL AND st.id IS NULL THEN 1
        WHEN inb.id IS NULL AND st.project_id <> p_project_id THEN 2
        WHEN COALESCE(inb.run_id, st.run_id) <> b.run_id THEN 3
      END AS kind
    FROM batch b
    LEFT JOIN batch inb ON inb.id = b.parent_span_id
    LEFT JOIN spans st ON inb.id IS NULL AND st.id = b.parent_span_id
    WHERE b.parent_span_id IS NOT NULL AND NOT b.existed
  )
  SELECT p.parent_span_id, p.id, p.kind INTO v_id, v_other, v_kind
  FROM problem p WHERE p.kind IS NOT NULL ORDER BY p.kind LIMIT 1;
  CASE v_kind
    WHEN 1 THEN RAISE EXCEPTION 'parent span % not found for project', v_id;
    WHEN 2 THEN RAISE EXCEPTION 'parent span % belongs to a different project', v_id;
    WHEN 3 THEN RAISE EXCEPTION 'parent span % of span % belongs to a different run', v_id, v_other;
    ELSE NULL;
  END CASE;
  -- Cycles can only form among spans new in this batch: a stored span's ancestors are all
  -- stored before it, and parents never change.
  WITH RECURSIVE fresh AS (
    SELECT s.id, s.parent_span_id FROM unnest(v_spans) s
    WHERE NOT EXISTS (SELECT 1 FROM spans t WHERE t.id = s.id)
  ), walk(start_id, cur, depth) AS (
    SELECT f.id, f.parent_span_id, 1 FROM fresh f WHERE f.parent_span_id IN (SELECT id FROM fresh)
    UNION ALL
    SELECT w.start_id, f.parent_span_id, w.depth + 1
    FROM walk w JOIN fresh f ON f.id = w.cur
    WHERE w.cur <> w.start_id AND w.depth <= cardinality(v_spans)
  )
  SELECT start_id INTO v_id FROM walk WHERE cur = start_id LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'span % is part of a parent cycle', v_id; END IF;

  -- One statement: a parent listed after its child is still found (foreign keys are
  -- checked at the end of the statement).
  INSERT INTO spans AS t (id, run_id, project_id, parent_span_id, kind, name, started_at, ended_at, status,
    error, iteration, attributes)
  SELECT s.id, s.run_id, p_project_id, s.parent_span_id, s.kind, s.name, s.started_at, s.ended_at, s.status,
    s.error, s.iteration, COALESCE(s.attributes, '{}'::jsonb)
  FROM unnest(v_spans) s
  ON CONFLICT (id) DO UPDATE SET
    ended_at = COALESCE(EXCLUDED.ended_at, t.ended_at),
    status = CASE WHEN t.status <> 'running' AND EXCLUDED.status = 'running' THEN t.status ELSE EXCLUDED.status END,
    error = COALESCE(EXCLUDED.error, t.error),
    attributes = t.attributes || EXCLUDED.attributes
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> cardinality(v_spans) THEN RAISE EXCEPTION 'span belongs to a different project'; END IF;

  ------------------------------------------------------------------ events
  SELECT e.id INTO v_id FROM unnest(v_events) e
  WHERE e.id IS NULL OR e.run_id IS NULL OR e.type IS NULL OR e.created_at IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'event % needs an id, run_id, type and created_at', COALESCE(v_id::text, '<NULL>');
  END IF;
  SELECT e.id INTO v_id FROM unnest(v_events) e
  WHERE e.project_id <> p_project_id
     OR EXISTS (SELECT 1 FROM events t WHERE t.id = e.id AND t.project_id <> p_project_id)
  LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'event % belongs to a different project', v_id; END IF;
  SELECT e.id INTO v_id FROM unnest(v_events) e GROUP BY e.id HAVING count(*) > 1 LIMIT 1;
  IF FOUND THEN RAISE EXCEPTION 'event % appears more than once in the batch', v_id; END IF;
  SELECT e.run_id, t.id IS NULL INTO v_id, v_missing
  FROM unnest(v_events) e LEFT JOIN runs t ON t.id = e.run_id
  WHERE t.id IS NULL OR t.project_id <> p_project_id
  LIMIT 1;
  IF FOUND AND v_missing THEN RAISE EXCEPTION 'run % not found for project', v_id; END IF;
  IF FOUND THEN RAISE EXCEPTION 'run % belongs to a different project', v_id; END IF;
  v_kind := NULL;
  SELECT e.span_id, e.id,
    CASE WHEN t.id IS NULL THEN 1 WHEN t.project_id <> p_project_id THEN 2 ELSE 3 END AS kind
  INTO v_id, v_other, v_kind
  FROM unnest(v_events) e LEFT JOIN spans t ON t.id = e.span_id
  WHERE e.span_id IS NOT NULL AND (t.id IS NULL OR t.project_id <> p_project_id OR t.run_id <> e.run_id)
  ORDER BY 3
  LIMIT 1;
  CASE v_kind
    WHEN 1 THEN RAISE EXCEPTION 'span % not found for project', v_id;
    WHEN 2 THEN RAISE EXCEPTION 'span % belongs to a different project', v_id;
    WHEN 3 THEN RAISE EXCEPTION 'span % of event % belongs to a different run', v_id, v_other;
    ELSE NULL;
  END CASE;

  INSERT INTO events AS t (id, run_id, span_id, project_id, type, created_at, content, attributes)
  SELECT e.id, e.run_id, e.span_id, p_project_id, e.type, e.created_at, COALESCE(e.content, 'null'::jsonb),
    COALESCE(e.attributes, '{}'::jsonb)
  FROM unnest(v_events) e
  ON CONFLICT (id) DO UPDATE SET
    content = EXCLUDED.content,
    attributes = t.attributes || EXCLUDED.attributes
  WHERE t.project_id = EXCLUDED.project_id;
  GET DIAGNOSTICS v_written = ROW_COUNT;
  IF v_written <> cardinality(v_events) THEN RAISE EXCEPTION 'event belongs to a different project'; END IF;

  RETURN jsonb_build_object('accepted', true, 'counts', jsonb_build_object(
    'sessions', cardinality(v_sessions), 'runs', cardinality(v_runs),
    'spans', cardinality(v_spans), 'events', cardinality(v_events)));
END;
$fn$;

-- The most records one ingest call takes, all lists together (the edge function's limit).
CREATE FUNCTION private.max_batch_records() RETURNS integer
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 10000 $$;

CREATE FUNCTION private.resolve_api_key(p_key_hash text)
RETURNS TABLE (key_id uuid, project_id uuid)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = private, pg_temp
AS $$
  SELECT k.id, k.project_id FROM api_keys k WHERE k.key_hash = p_key_hash AND k.revoked_at IS NULL
$$;

CREATE FUNCTION private.revoke_api_key(p_key_id uuid, p_project_id uuid)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = private, pg_temp
AS $$
BEGIN
  UPDATE api_keys SET revoked_at = now()
  WHERE id = p_key_id AND project_id = p_project_id AND revoked_at IS NULL;
  RETURN FOUND;
END;
$$;

ALTER TABLE private.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.spans ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.events ENABLE ROW LEVEL SECURITY;

GRANT USAGE ON SCHEMA private TO service_role;
GRANT SELECT, INSERT, UPDATE ON private.projects, private.api_keys, private.sessions, private.runs,
  private.spans, private.events TO service_role;
REVOKE ALL ON ALL TABLES IN SCHEMA private FROM PUBLIC, anon, authenticated;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA private FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.ingest_batch(uuid, jsonb, jsonb, jsonb, jsonb),
  private.resolve_api_key(text), private.revoke_api_key(uuid, uuid), private.max_batch_records()
  TO service_role;
