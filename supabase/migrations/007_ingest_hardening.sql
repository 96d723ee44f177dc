-- 007 ingest hardening: the request's project for row level security, and one policy per
-- trace table that confines `authenticated` to its own project's rows.
--
-- `authenticated` has no privileges in `private` (006), so these policies give nothing by
-- themselves; they are the guard that holds if an operator ever grants access, and they
-- are tested that way. The payload limits live in ingest_batch (private.max_batch_records,
-- 006) and in the edge function.

-- The project of the current request: claim `project_id`, or `app_metadata.project_id`, of
-- the JWT PostgREST puts in `request.jwt.claims`. NULL when absent or not a UUID, and also
-- when the setting is not valid JSON (a policy must never fail a query).
CREATE FUNCTION private.request_project_id() RETURNS uuid
LANGUAGE plpgsql
STABLE
SECURITY INVOKER
SET search_path = private, pg_temp
AS $$
DECLARE
  v_raw text := nullif(current_setting('request.jwt.claims', true), '');
  v_claims jsonb;
  v_id text;
BEGIN
  IF v_raw IS NULL THEN
    RETURN NULL;
  END IF;
  BEGIN
    v_claims := v_raw::jsonb;
  EXCEPTION WHEN others THEN
    RETURN NULL;
  END;
  IF jsonb_typeof(v_claims) <> 'object' THEN
    RETURN NULL;
  END IF;
  v_id := COALESCE(v_claims ->> 'project_id', v_claims -> 'app_metadata' ->> 'project_id');
  IF v_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    RETURN v_id::uuid;
  END IF;
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION private.request_project_id() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION private.request_project_id() TO authenticated, service_role;

CREATE POLICY projects_authenticated_by_project ON private.projects FOR ALL TO authenticated
  USING (id = private.request_project_id()) WITH CHECK (id = private.request_project_id());
CREATE POLICY api_keys_authenticated_by_project ON private.api_keys FOR ALL TO authenticated
  USING (project_id = private.request_project_id()) WITH CHECK (project_id = private.request_project_id());
CREATE POLICY sessions_authenticated_by_project ON private.sessions FOR ALL TO authenticated
  USING (project_id = private.request_project_id()) WITH CHECK (project_id = private.request_project_id());
CREATE POLICY runs_authenticated_by_project ON private.runs FOR ALL TO authenticated
  USING (project_id = private.request_project_id()) WITH CHECK (project_id = private.request_project_id());
CREATE POLICY spans_authenticated_by_project ON private.spans FOR ALL TO authenticated
  USING (project_id = private.request_project_id()) WITH CHECK (project_id = private.request_project_id());
CREATE POLICY events_authenticated_by_project ON private.events FOR ALL TO authenticated
  USING (project_id = private.request_project_id()) WITH CHECK (project_id = private.request_project_id());
