-- 022 the span timeline of a trace, for the trace viewer.
CREATE FUNCTION public.dashboard_list_trace_spans(p_project_id uuid, p_trace_id uuid)
RETURNS TABLE (id uuid, trace_id uuid, parent_span_id uuid, kind text, name text, started_at timestamptz,
  ended_at timestamptz, status text, error jsonb, iteration integer, attributes jsonb)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT s.id, s.run_id, s.parent_span_id, s.kind, s.name, s.started_at, s.ended_at, s.status, s.error, s.iteration,
    s.attributes
  FROM private.spans s
  WHERE s.project_id = p_project_id AND s.run_id = p_trace_id
  ORDER BY s.started_at, s.id
$$;
REVOKE ALL ON FUNCTION public.dashboard_list_trace_spans(uuid, uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_list_trace_spans(uuid, uuid) TO service_role;
