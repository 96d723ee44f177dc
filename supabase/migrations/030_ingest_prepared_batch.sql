-- One statement per ingest request. The edge used to write a batch as BEGIN, SET LOCAL
-- statement_timeout, the records' RPC, the scores' RPC and COMMIT: five round trips. This
-- wrapper writes the records and prompt links, then the scores, in one call; a single
-- statement is its own transaction, so the batch stays all-or-nothing without BEGIN/COMMIT.
-- Both functions it calls keep their names, signatures and behaviour (and so their error
-- texts, which the edge maps to 400/503/500).
--
-- SECURITY INVOKER: it grants nothing by itself; its caller needs EXECUTE on both functions
-- it calls (service_role has it). `search_path = ''` as every function here.
CREATE FUNCTION private.ingest_prepared_batch(p_project_id uuid, p_sessions jsonb, p_runs jsonb, p_spans jsonb,
  p_events jsonb, p_prompt_links jsonb, p_scores jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
BEGIN
  PERFORM private.ingest_batch_with_prompt_links(p_project_id, p_sessions, p_runs, p_spans, p_events, p_prompt_links);
  -- Scores come after the records: a score may refer to a run or span of the same batch.
  -- An empty list skips the call, as the edge did; anything else (even NULL) goes to the
  -- scores function, which refuses what is not an array of objects.
  IF p_scores IS DISTINCT FROM '[]'::jsonb THEN
    PERFORM count(*) FROM public.dashboard_bulk_create_scores(p_project_id, p_scores);
  END IF;
END;
$$;

COMMENT ON FUNCTION private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) IS
  'The ingest endpoint''s one statement: ingest_batch_with_prompt_links, then dashboard_bulk_create_scores unless the scores are [].';

REVOKE ALL ON FUNCTION private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb) TO service_role;
