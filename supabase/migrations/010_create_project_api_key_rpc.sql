-- 010 create or rotate a project's API key (called by the dashboard's key route with the
-- service role; it makes the plaintext `ns_…` key and sends only its SHA-256 hex).
--
-- Creates the project on first use (or renames it), revokes the project's active key, if
-- any, by setting revoked_at — the row is kept as history and the old key stops resolving
-- at once — and adds the new key. Calling it again with the same key id and hash (a retry
-- of the same rotation) changes nothing. Output columns are named result_* so they cannot
-- clash with table columns inside the function.
CREATE FUNCTION public.create_or_rotate_project_api_key(
  p_project_id uuid,
  p_project_name text,
  p_key_id uuid,
  p_key_hash text
) RETURNS TABLE (result_project_id uuid, result_created_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY INVOKER
SET search_path = pg_temp
AS $$
DECLARE
  v_name text := btrim(COALESCE(p_project_name, ''));
  v_existing private.api_keys%ROWTYPE;
BEGIN
  IF v_name = '' THEN
    RAISE EXCEPTION 'project name must not be empty';
  END IF;
  IF p_project_id IS NULL OR p_key_id IS NULL OR p_key_hash IS NULL THEN
    RAISE EXCEPTION 'project id, key id and key hash are required';
  END IF;
  INSERT INTO private.projects AS t (id, name) VALUES (p_project_id, v_name)
  ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;

  SELECT * INTO v_existing FROM private.api_keys WHERE id = p_key_id;
  IF FOUND THEN
    IF v_existing.project_id = p_project_id AND v_existing.key_hash = p_key_hash AND v_existing.revoked_at IS NULL THEN
      RETURN QUERY SELECT p_project_id, v_existing.created_at; -- the same rotation, retried
      RETURN;
    END IF;
    RAISE EXCEPTION 'api key % already exists', p_key_id;
  END IF;

  UPDATE private.api_keys SET revoked_at = now() WHERE project_id = p_project_id AND revoked_at IS NULL;
  RETURN QUERY
  INSERT INTO private.api_keys (id, project_id, name, key_hash) VALUES (p_key_id, p_project_id, 'Project key', p_key_hash)
  RETURNING project_id, created_at;
END;
$$;
