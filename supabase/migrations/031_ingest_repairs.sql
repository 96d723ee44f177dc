-- 031 ingest repairs: what the SDK sends is stored, and what had to be changed to store it
-- is kept where the dashboard can count and find it.
--
-- - private.ingest_warnings: one row per repair the ingest core made (a NUL or unpaired
--   surrogate replaced with U+FFFD, a string value cut at the field limit), with the record
--   it belongs to and the JSON path of the change, written in the batch's own transaction by
--   private.record_ingest_warnings (so a refused batch leaves no warning either).
-- - public.dashboard_list_ingest_warnings: the read model, newest first, with the number
--   of matching rows on every row.
-- - public.dashboard_bulk_create_scores: the 500-score cap is lifted to the ingest record
--   ceiling (100,000, the largest NORTHSTAR_MAX_RECORDS the core accepts): the SDK's
--   low-level client sends its whole score queue in one batch. Everything else as in 026.

CREATE TABLE private.ingest_warnings (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  record_kind text NOT NULL
    CONSTRAINT ingest_warnings_record_kind_check
    CHECK (record_kind IN ('session', 'run', 'span', 'event', 'prompt_link', 'score')),
  -- The record's id; a prompt link, which has none, is filed under its span_id.
  record_id uuid NOT NULL,
  path text NOT NULL,
  code text NOT NULL,
  message text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
-- The dashboard lists a project's warnings newest first, page by page.
CREATE INDEX idx_ingest_warnings_project_recent ON private.ingest_warnings (project_id, id DESC);
-- … and those of one record.
CREATE INDEX idx_ingest_warnings_project_record ON private.ingest_warnings (project_id, record_id);
ALTER TABLE private.ingest_warnings ENABLE ROW LEVEL SECURITY;
CREATE POLICY ingest_warnings_service_role_read ON private.ingest_warnings FOR SELECT TO service_role USING (true);
GRANT SELECT ON private.ingest_warnings TO service_role;
REVOKE ALL ON private.ingest_warnings FROM PUBLIC, anon, authenticated;

-- Called by the ingest endpoint inside the batch's transaction, after the records: p_warnings
-- is the core's `warning_rows` (objects of kind, record_id, path, code, message).
CREATE FUNCTION private.record_ingest_warnings(p_project_id uuid, p_warnings jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_count integer;
BEGIN
  IF p_warnings IS NULL OR jsonb_typeof(p_warnings) <> 'array' THEN
    RAISE EXCEPTION 'warnings must be a JSON array';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_warnings) e WHERE jsonb_typeof(e) <> 'object') THEN
    RAISE EXCEPTION 'each warning must be a JSON object';
  END IF;
  INSERT INTO private.ingest_warnings (project_id, record_kind, record_id, path, code, message)
  SELECT p_project_id, w.kind, w.record_id, w.path, w.code, w.message
  FROM jsonb_to_recordset(p_warnings) AS w(kind text, record_id uuid, path text, code text, message text);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END;
$$;

-- A project's warnings, newest first: p_limit rows (1..1000) before the row id p_before_id
-- (the last id of the previous page), optionally of one record or one code. total_count is
-- the number of rows matching the filters (all pages).
CREATE FUNCTION public.dashboard_list_ingest_warnings(p_project_id uuid, p_limit integer DEFAULT 100,
  p_before_id bigint DEFAULT NULL, p_record_id uuid DEFAULT NULL, p_code text DEFAULT NULL)
RETURNS TABLE (id bigint, record_kind text, record_id uuid, path text, code text, message text,
  received_at timestamptz, total_count bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT m.id, m.record_kind, m.record_id, m.path, m.code, m.message, m.received_at, m.total_count
  FROM (
    SELECT w.*, count(*) OVER () AS total_count
    FROM private.ingest_warnings w
    WHERE w.project_id = p_project_id
      AND (p_record_id IS NULL OR w.record_id = p_record_id)
      AND (p_code IS NULL OR w.code = p_code)
  ) m
  WHERE p_before_id IS NULL OR m.id < p_before_id
  ORDER BY m.id DESC
  LIMIT greatest(1, least(COALESCE(p_limit, 100), 1000))
$$;

REVOKE ALL ON FUNCTION private.record_ingest_warnings(uuid, jsonb),
  public.dashboard_list_ingest_warnings(uuid, integer, bigint, uuid, text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.record_ingest_warnings(uuid, jsonb),
  public.dashboard_list_ingest_warnings(uuid, integer, bigint, uuid, text) TO service_role;

-- 026's function with the cap at the record ceiling instead of 500 (same message shape).
CREATE OR REPLACE FUNCTION public.dashboard_bulk_create_scores(p_project_id uuid, p_scores jsonb)
RETURNS SETOF private.scores
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_rows private.scores[];
  v_id uuid;
  v_kind integer;
BEGIN
  IF p_scores IS NULL OR jsonb_typeof(p_scores) <> 'array' THEN
    RAISE EXCEPTION 'scores must be a JSON array';
  END IF;
  IF jsonb_array_length(p_scores) > 100000 THEN
    RAISE EXCEPTION 'score batch exceeds maximum of 100000';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_scores) e WHERE jsonb_typeof(e) <> 'object') THEN
    RAISE EXCEPTION 'each score must be a JSON object';
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_array_elements(p_scores) e
             WHERE e ? 'project_id' AND e ->> 'project_id' IS NOT NULL AND (e ->> 'project_id')::uuid <> p_project_id) THEN
    RAISE EXCEPTION 'score project_id does not match authenticated project';
  END IF;
  -- Parsed once; the later of two scores with one id wins.
  v_rows := ARRAY(
    SELECT ROW(s.id, p_project_id, s.trace_id, s.span_id, btrim(s.name), s.value, s.data_type,
      CASE WHEN s.data_type = 'categorical' THEN btrim(s.string_value) ELSE s.string_value END,
      s.source, s.comment, NULL, s.created_at)::private.scores
    FROM (
      SELECT DISTINCT ON (x.id) x.* FROM (
        SELECT COALESCE(r.id, gen_random_uuid()) AS id, r.trace_id, r.span_id, r.name, r.value,
          COALESCE(r.data_type, 'numeric') AS data_type, r.string_value, COALESCE(r.source, 'api') AS source,
          r.comment, COALESCE(r.created_at, now()) AS created_at, e.n
        FROM jsonb_array_elements(p_scores) WITH ORDINALITY AS e(elem, n),
          LATERAL jsonb_to_record(e.elem) AS r(id uuid, trace_id uuid, span_id uuid, name text, value double precision,
            data_type private.score_data_type, string_value text, source private.score_source, comment text,
            created_at timestamptz)
      ) x
      ORDER BY x.id, x.n DESC
    ) s);

  SELECT s.id, CASE WHEN r.id IS NULL THEN 1 WHEN s.span_id IS NOT NULL AND sp.id IS NULL THEN 2 ELSE 3 END
  INTO v_id, v_kind
  FROM unnest(v_rows) s
  LEFT JOIN private.runs r ON r.id = s.trace_id AND r.project_id = p_project_id
  LEFT JOIN private.spans sp ON sp.id = s.span_id AND sp.run_id = s.trace_id AND sp.project_id = p_project_id
  LEFT JOIN private.scores other ON other.id = s.id AND other.project_id <> p_project_id
  WHERE r.id IS NULL OR (s.span_id IS NOT NULL AND sp.id IS NULL) OR other.id IS NOT NULL
  ORDER BY 2
  LIMIT 1;
  CASE v_kind
    WHEN 1 THEN RAISE EXCEPTION 'trace % not found for project',
      COALESCE((SELECT s.trace_id::text FROM unnest(v_rows) s WHERE s.id = v_id), '<NULL>');
    WHEN 2 THEN RAISE EXCEPTION 'span % not found for trace', (SELECT s.span_id FROM unnest(v_rows) s WHERE s.id = v_id);
    WHEN 3 THEN RAISE EXCEPTION 'score % belongs to a different project', v_id;
    ELSE NULL;
  END CASE;

  RETURN QUERY
  INSERT INTO private.scores AS t (id, project_id, trace_id, span_id, name, value, data_type, string_value, source,
    comment, created_by, created_at)
  SELECT s.id, p_project_id, s.trace_id, s.span_id, s.name, s.value, s.data_type, s.string_value, s.source, s.comment,
    NULL, s.created_at
  FROM unnest(v_rows) s
  ON CONFLICT (id) DO UPDATE SET
    trace_id = EXCLUDED.trace_id, span_id = EXCLUDED.span_id, name = EXCLUDED.name, value = EXCLUDED.value,
    data_type = EXCLUDED.data_type, string_value = EXCLUDED.string_value, source = EXCLUDED.source,
    comment = EXCLUDED.comment, created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at
  WHERE t.project_id = EXCLUDED.project_id
  RETURNING t.*;
END;
$$;
