-- 012 dashboard read model: sessions and traces (runs), with their costs.
--
-- There are no views: every read model is a set-returning function, SECURITY INVOKER with
-- an empty search_path, callable by service_role only, filtering every table by
-- p_project_id. Odd data never fails a read: a cost that is not a JSON number, or a token
-- count that is not a whole number, counts as missing.
--
-- A run's cost and tokens come from its metadata (cost_usd, total_input_tokens,
-- total_output_tokens, which the SDK rolls up) and, where the metadata lacks them, from its
-- model spans' attributes (cost_usd, input_tokens, output_tokens) — so session, trace and
-- project figures agree.

-- A JSON number as numeric; anything else is NULL.
CREATE FUNCTION private.json_number(p_value jsonb) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
  SELECT CASE WHEN jsonb_typeof(p_value) = 'number' THEN p_value::text::numeric END
$$;

-- A JSON whole number that fits bigint; anything else is NULL.
CREATE FUNCTION private.json_count(p_value jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = '' AS $$
  SELECT CASE WHEN n = trunc(n) AND abs(n) < 9e18 THEN n::bigint END
  FROM (SELECT private.json_number(p_value) AS n) x
$$;

-- Cost, tokens and model of each run of a project (optionally of one session or run).
CREATE FUNCTION private.run_costs(p_project_id uuid, p_session_id uuid DEFAULT NULL, p_run_id uuid DEFAULT NULL)
RETURNS TABLE (run_id uuid, session_id uuid, cost_usd numeric, input_tokens bigint, output_tokens bigint, model text,
  model_call_count bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT r.id, r.session_id,
    COALESCE(private.json_number(r.metadata -> 'cost_usd'), sp.cost_usd, 0),
    COALESCE(private.json_count(r.metadata -> 'total_input_tokens'), sp.input_tokens, 0),
    COALESCE(private.json_count(r.metadata -> 'total_output_tokens'), sp.output_tokens, 0),
    sp.model, COALESCE(sp.calls, 0)
  FROM private.runs r
  LEFT JOIN LATERAL (
    SELECT sum(private.json_number(s.attributes -> 'cost_usd')) AS cost_usd,
      sum(private.json_count(s.attributes -> 'input_tokens')) AS input_tokens,
      sum(private.json_count(s.attributes -> 'output_tokens')) AS output_tokens,
      CASE WHEN count(DISTINCT s.attributes ->> 'model') = 1 THEN min(s.attributes ->> 'model') END AS model,
      count(*) AS calls
    FROM private.spans s
    WHERE s.run_id = r.id AND s.project_id = p_project_id AND s.kind = 'model'
  ) sp ON true
  WHERE r.project_id = p_project_id
    AND (p_session_id IS NULL OR r.session_id = p_session_id)
    AND (p_run_id IS NULL OR r.id = p_run_id)
$$;

CREATE FUNCTION public.dashboard_get_session(p_project_id uuid, p_session_id uuid)
RETURNS TABLE (id uuid, created_at timestamptz, ended_at timestamptz, total_cost_usd numeric,
  total_input_tokens bigint, total_output_tokens bigint)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT s.id, s.created_at, s.ended_at,
    COALESCE((SELECT sum(c.cost_usd) FROM private.run_costs(p_project_id, s.id) c), 0),
    COALESCE((SELECT sum(c.input_tokens) FROM private.run_costs(p_project_id, s.id) c), 0)::bigint,
    COALESCE((SELECT sum(c.output_tokens) FROM private.run_costs(p_project_id, s.id) c), 0)::bigint
  FROM private.sessions s
  WHERE s.project_id = p_project_id AND s.id = p_session_id
$$;

CREATE FUNCTION public.dashboard_list_traces(p_project_id uuid, p_session_id uuid)
RETURNS TABLE (id uuid, session_id uuid, run_id uuid, created_at timestamptz, ended_at timestamptz, name text,
  status text, error jsonb, cost_usd numeric, input_tokens bigint, output_tokens bigint, model text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT r.id, r.session_id, r.id, r.started_at, r.ended_at, r.name, r.status, r.error,
    c.cost_usd, c.input_tokens, c.output_tokens, c.model
  FROM private.runs r
  JOIN private.run_costs(p_project_id, p_session_id) c ON c.run_id = r.id
  WHERE r.project_id = p_project_id AND r.session_id = p_session_id
  ORDER BY r.started_at, r.id
$$;

CREATE FUNCTION public.dashboard_get_trace(p_project_id uuid, p_trace_id uuid)
RETURNS TABLE (id uuid, session_id uuid, run_id uuid, created_at timestamptz, ended_at timestamptz, name text,
  status text, error jsonb, cost_usd numeric, input_tokens bigint, output_tokens bigint, model text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT r.id, r.session_id, r.id, r.started_at, r.ended_at, r.name, r.status, r.error,
    c.cost_usd, c.input_tokens, c.output_tokens, c.model
  FROM private.runs r
  JOIN private.run_costs(p_project_id, NULL, p_trace_id) c ON c.run_id = r.id
  WHERE r.project_id = p_project_id AND r.id = p_trace_id
$$;

REVOKE ALL ON FUNCTION private.json_number(jsonb), private.json_count(jsonb), private.run_costs(uuid, uuid, uuid)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.json_number(jsonb), private.json_count(jsonb), private.run_costs(uuid, uuid, uuid)
  TO service_role;
REVOKE ALL ON FUNCTION public.dashboard_get_session(uuid, uuid), public.dashboard_list_traces(uuid, uuid),
  public.dashboard_get_trace(uuid, uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_get_session(uuid, uuid), public.dashboard_list_traces(uuid, uuid),
  public.dashboard_get_trace(uuid, uuid) TO service_role;
