-- 026 scores: evaluation scores of traces (runs) and spans, from people, the API (the SDK)
-- and automatic graders; bulk ingestion for the ingest endpoint.
--
-- Beyond upstream: values must be finite (NaN and ±Infinity are refused), and the bulk
-- upsert works for the service role too (it is SECURITY DEFINER, scoped to p_project_id,
-- so service_role keeps only SELECT and INSERT on the table).
CREATE TYPE private.score_data_type AS ENUM ('numeric', 'categorical', 'boolean');
CREATE TYPE private.score_source AS ENUM ('human', 'api', 'auto');

CREATE TABLE private.scores (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  trace_id uuid NOT NULL REFERENCES private.runs (id) ON DELETE CASCADE,
  span_id uuid REFERENCES private.spans (id) ON DELETE CASCADE,
  name text NOT NULL CONSTRAINT scores_name_not_blank CHECK (btrim(name) <> ''),
  value double precision NOT NULL
    CONSTRAINT scores_value_finite CHECK (value <> 'NaN'::float8 AND value <> 'Infinity'::float8 AND value <> '-Infinity'::float8),
  data_type private.score_data_type NOT NULL DEFAULT 'numeric',
  string_value text,
  source private.score_source NOT NULL,
  comment text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT scores_categorical_value_check CHECK (
    CASE WHEN data_type = 'categorical' THEN string_value IS NOT NULL AND btrim(string_value) <> ''
         ELSE string_value IS NULL END),
  CONSTRAINT scores_boolean_value_check CHECK (data_type <> 'boolean' OR value IN (0, 1))
);
CREATE INDEX idx_scores_trace_created ON private.scores (project_id, trace_id, created_at DESC);
CREATE INDEX idx_scores_name_created ON private.scores (project_id, name, created_at DESC) INCLUDE (value, data_type);
CREATE INDEX idx_scores_span ON private.scores (span_id) WHERE span_id IS NOT NULL;
ALTER TABLE private.scores ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION public.dashboard_list_scores(p_project_id uuid, p_trace_id uuid)
RETURNS TABLE (id uuid, project_id uuid, trace_id uuid, span_id uuid, name text, value double precision,
  data_type private.score_data_type, string_value text, source private.score_source, comment text, created_by text,
  created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT s.id, s.project_id, s.trace_id, s.span_id, s.name, s.value, s.data_type, s.string_value, s.source, s.comment,
    s.created_by, s.created_at
  FROM private.scores s
  JOIN private.runs r ON r.id = s.trace_id AND r.project_id = p_project_id
  WHERE s.project_id = p_project_id AND s.trace_id = p_trace_id
  ORDER BY s.created_at DESC, s.id
$$;

CREATE FUNCTION public.dashboard_create_score(p_project_id uuid, p_trace_id uuid, p_name text, p_value double precision,
  p_data_type private.score_data_type DEFAULT 'numeric', p_string_value text DEFAULT NULL,
  p_source private.score_source DEFAULT 'human', p_span_id uuid DEFAULT NULL, p_comment text DEFAULT NULL,
  p_created_by text DEFAULT NULL, p_id uuid DEFAULT gen_random_uuid())
RETURNS private.scores
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_score private.scores;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM private.runs WHERE id = p_trace_id AND project_id = p_project_id) THEN
    RAISE EXCEPTION 'trace % not found for project', COALESCE(p_trace_id::text, '<NULL>');
  END IF;
  IF p_span_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM private.spans WHERE id = p_span_id AND run_id = p_trace_id AND project_id = p_project_id
  ) THEN
    RAISE EXCEPTION 'span % not found for trace', p_span_id;
  END IF;
  INSERT INTO private.scores (id, project_id, trace_id, span_id, name, value, data_type, string_value, source, comment,
    created_by)
  VALUES (p_id, p_project_id, p_trace_id, p_span_id, btrim(p_name), p_value, p_data_type,
    CASE WHEN p_data_type = 'categorical' THEN btrim(p_string_value) ELSE p_string_value END, p_source, p_comment,
    p_created_by)
  RETURNING * INTO v_score;
  RETURN v_score;
END;
$$;

-- Set-based upsert of up to 500 scores (the ingest endpoint's path). A score id sent twice
-- keeps the later one; a re-sent id overwrites every field but its project.
CREATE FUNCTION public.dashboard_bulk_create_scores(p_project_id uuid, p_scores jsonb)
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
  IF jsonb_array_length(p_scores) > 500 THEN
    RAISE EXCEPTION 'score batch exceeds maximum of 500';
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

GRANT SELECT, INSERT ON private.scores TO service_role;
REVOKE ALL ON private.scores FROM PUBLIC, anon, authenticated;
GRANT USAGE ON TYPE private.score_data_type, private.score_source TO service_role;
REVOKE ALL ON FUNCTION public.dashboard_list_scores(uuid, uuid),
  public.dashboard_create_score(uuid, uuid, text, double precision, private.score_data_type, text, private.score_source,
    uuid, text, text, uuid),
  public.dashboard_bulk_create_scores(uuid, jsonb) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_list_scores(uuid, uuid),
  public.dashboard_create_score(uuid, uuid, text, double precision, private.score_data_type, text, private.score_source,
    uuid, text, text, uuid),
  public.dashboard_bulk_create_scores(uuid, jsonb) TO service_role;
