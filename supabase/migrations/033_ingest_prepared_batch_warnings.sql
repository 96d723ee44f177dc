-- The ingest endpoint's one statement, with the batch's repair warnings (031) filed in the
-- same transaction: private.ingest_prepared_batch (030) for the records, prompt links and
-- scores, then private.record_ingest_warnings unless there are none. An overload with one
-- more argument, so 030's seven-argument form keeps working for any caller of it.
--
-- SECURITY INVOKER, like 030: its caller needs EXECUTE on the functions it calls.
CREATE FUNCTION private.ingest_prepared_batch(p_project_id uuid, p_sessions jsonb, p_runs jsonb, p_spans jsonb,
  p_events jsonb, p_prompt_links jsonb, p_scores jsonb, p_warnings jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
BEGIN
  PERFORM private.ingest_prepared_batch(p_project_id, p_sessions, p_runs, p_spans, p_events, p_prompt_links,
    p_scores);
  -- After the records: a refused batch raises above, and then no warning row is written.
  IF p_warnings IS NOT NULL AND p_warnings IS DISTINCT FROM '[]'::jsonb THEN
    PERFORM private.record_ingest_warnings(p_project_id, p_warnings);
  END IF;
END;
$$;

COMMENT ON FUNCTION private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) IS
  'The ingest endpoint''s one statement: ingest_prepared_batch (records, links, scores), then record_ingest_warnings unless the warnings are [].';

REVOKE ALL ON FUNCTION private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)
  TO service_role;
