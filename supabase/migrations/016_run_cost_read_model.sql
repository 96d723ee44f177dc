-- 016 costs: a session's totals (always one row) and a project's summary by model.
CREATE FUNCTION public.dashboard_session_cost(p_project_id uuid, p_session_id uuid)
RETURNS TABLE (cost_usd numeric, input_tokens bigint, output_tokens bigint, model_call_count bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT COALESCE(sum(c.cost_usd), 0), COALESCE(sum(c.input_tokens), 0)::bigint, COALESCE(sum(c.output_tokens), 0)::bigint,
    COALESCE(sum(c.model_call_count), 0)::bigint
  FROM private.run_costs(p_project_id, p_session_id) c
  WHERE p_session_id IS NOT NULL
$$;

-- Built from model spans started since p_since (so it can be split by model); a run whose
-- spans carry no cost contributes nothing here.
CREATE FUNCTION public.dashboard_project_cost_summary(p_project_id uuid,
  p_since timestamptz DEFAULT (now() - interval '30 days'))
RETURNS TABLE (cost_usd numeric, input_tokens bigint, output_tokens bigint, run_count bigint, by_model jsonb)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  WITH model_spans AS (
    SELECT s.run_id, COALESCE(s.attributes ->> 'model', 'unknown') AS model,
      COALESCE(private.json_number(s.attributes -> 'cost_usd'), 0) AS cost_usd,
      COALESCE(private.json_count(s.attributes -> 'input_tokens'), 0) AS input_tokens,
      COALESCE(private.json_count(s.attributes -> 'output_tokens'), 0) AS output_tokens
    FROM private.spans s
    WHERE s.project_id = p_project_id AND s.kind = 'model' AND s.started_at >= p_since
  ), per_model AS (
    SELECT model, sum(cost_usd) AS cost_usd FROM model_spans GROUP BY model
  )
  SELECT COALESCE((SELECT sum(cost_usd) FROM model_spans), 0),
    COALESCE((SELECT sum(input_tokens) FROM model_spans), 0)::bigint,
    COALESCE((SELECT sum(output_tokens) FROM model_spans), 0)::bigint,
    (SELECT count(DISTINCT run_id) FROM model_spans),
    COALESCE((SELECT jsonb_agg(jsonb_build_object('model', model, 'cost_usd', cost_usd) ORDER BY cost_usd DESC, model)
              FROM per_model), '[]'::jsonb)
$$;

REVOKE ALL ON FUNCTION public.dashboard_session_cost(uuid, uuid), public.dashboard_project_cost_summary(uuid, timestamptz)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_session_cost(uuid, uuid), public.dashboard_project_cost_summary(uuid, timestamptz)
  TO service_role;
