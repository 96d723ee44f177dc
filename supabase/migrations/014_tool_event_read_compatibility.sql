-- 014 tool calls: the tool-kind spans of a session or trace, with their arguments, result
-- and error. Arguments are the content of the span's earliest `tool_arguments` event;
-- the result, the content of its latest `tool_result` event. Typed events are preferred;
-- the alpha SDK's `custom` events whose content.name is tool_arguments / tool_result
-- (value in content.data) are read when there is no typed one. No arguments → {}; no
-- result → NULL.
CREATE FUNCTION private.tool_calls(p_project_id uuid, p_session_id uuid, p_trace_id uuid)
RETURNS TABLE (id uuid, trace_id uuid, name text, params jsonb, output jsonb, error jsonb, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT s.id, s.run_id, s.name,
    COALESCE(
      (SELECT e.content FROM private.events e WHERE e.span_id = s.id AND e.project_id = p_project_id
         AND e.type = 'tool_arguments' ORDER BY e.created_at, e.id LIMIT 1),
      (SELECT e.content -> 'data' FROM private.events e WHERE e.span_id = s.id AND e.project_id = p_project_id
         AND e.type = 'custom' AND e.content ->> 'name' = 'tool_arguments' ORDER BY e.created_at, e.id LIMIT 1),
      '{}'::jsonb),
    COALESCE(
      (SELECT e.content FROM private.events e WHERE e.span_id = s.id AND e.project_id = p_project_id
         AND e.type = 'tool_result' ORDER BY e.created_at DESC, e.id DESC LIMIT 1),
      (SELECT e.content -> 'data' FROM private.events e WHERE e.span_id = s.id AND e.project_id = p_project_id
         AND e.type = 'custom' AND e.content ->> 'name' = 'tool_result' ORDER BY e.created_at DESC, e.id DESC LIMIT 1)),
    s.error, s.started_at
  FROM private.spans s
  JOIN private.runs r ON r.id = s.run_id AND r.project_id = p_project_id
  WHERE s.project_id = p_project_id AND s.kind = 'tool'
    AND (p_session_id IS NULL OR r.session_id = p_session_id)
    AND (p_trace_id IS NULL OR s.run_id = p_trace_id)
  ORDER BY s.started_at, s.id
$$;

CREATE FUNCTION public.dashboard_list_session_tool_calls(p_project_id uuid, p_session_id uuid)
RETURNS TABLE (id uuid, trace_id uuid, name text, params jsonb, output jsonb, error jsonb, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT * FROM private.tool_calls(p_project_id, p_session_id, NULL) WHERE p_session_id IS NOT NULL
$$;

CREATE FUNCTION public.dashboard_list_trace_tool_calls(p_project_id uuid, p_trace_id uuid)
RETURNS TABLE (id uuid, trace_id uuid, name text, params jsonb, output jsonb, error jsonb, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT * FROM private.tool_calls(p_project_id, NULL, p_trace_id) WHERE p_trace_id IS NOT NULL
$$;

REVOKE ALL ON FUNCTION private.tool_calls(uuid, uuid, uuid), public.dashboard_list_session_tool_calls(uuid, uuid),
  public.dashboard_list_trace_tool_calls(uuid, uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.tool_calls(uuid, uuid, uuid), public.dashboard_list_session_tool_calls(uuid, uuid),
  public.dashboard_list_trace_tool_calls(uuid, uuid) TO service_role;
