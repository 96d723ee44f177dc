-- 023 the sessions list, with each session's traces, tool calls, failed traces and costs.
CREATE FUNCTION public.dashboard_list_sessions(p_project_id uuid)
RETURNS TABLE (id uuid, created_at timestamptz, ended_at timestamptz, trace_count bigint, tool_call_count bigint,
  errored_count bigint, total_cost_usd numeric, total_input_tokens bigint, total_output_tokens bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  WITH costs AS (
    SELECT c.session_id, count(*) AS traces, sum(c.cost_usd) AS cost_usd, sum(c.input_tokens) AS input_tokens,
      sum(c.output_tokens) AS output_tokens
    FROM private.run_costs(p_project_id) c GROUP BY c.session_id
  )
  SELECT s.id, s.created_at, s.ended_at, COALESCE(c.traces, 0),
    (SELECT count(*) FROM private.spans sp JOIN private.runs r ON r.id = sp.run_id
     WHERE r.session_id = s.id AND r.project_id = p_project_id AND sp.project_id = p_project_id AND sp.kind = 'tool'),
    (SELECT count(*) FROM private.runs r WHERE r.session_id = s.id AND r.project_id = p_project_id AND r.status = 'error'),
    COALESCE(c.cost_usd, 0), COALESCE(c.input_tokens, 0)::bigint, COALESCE(c.output_tokens, 0)::bigint
  FROM private.sessions s
  LEFT JOIN costs c ON c.session_id = s.id
  WHERE s.project_id = p_project_id
  ORDER BY s.created_at DESC, s.id
$$;
REVOKE ALL ON FUNCTION public.dashboard_list_sessions(uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_list_sessions(uuid) TO service_role;
