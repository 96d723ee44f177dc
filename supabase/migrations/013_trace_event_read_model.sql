-- 013 trace events: every event of a run, in time order.
CREATE FUNCTION public.dashboard_list_trace_events(p_project_id uuid, p_trace_id uuid)
RETURNS TABLE (id uuid, trace_id uuid, span_id uuid, type text, content jsonb, attributes jsonb, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT e.id, e.run_id, e.span_id, e.type, e.content, e.attributes, e.created_at
  FROM private.events e
  WHERE e.project_id = p_project_id AND e.run_id = p_trace_id
  ORDER BY e.created_at, e.id
$$;
REVOKE ALL ON FUNCTION public.dashboard_list_trace_events(uuid, uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_list_trace_events(uuid, uuid) TO service_role;
