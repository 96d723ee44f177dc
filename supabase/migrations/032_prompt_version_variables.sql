-- 032 prompt version variables: dashboard_create_prompt_version honours p_variables.
--
-- The dashboard's form lets users add, remove and describe variables; 025 replaced them
-- silently with the ones extracted from the content. Now a non-empty p_variables is checked
-- entry by entry and stored; the variables are derived from the content only when the list is
-- empty or absent (the SDK-facing default). Each entry is an object with:
--   name      a non-blank string, unique in the list (required);
--   type      a non-blank string (default "string");
--   required  a boolean (default true);
--   default   any JSON value (default null);
--   description  a string or null (optional; kept only when given).
-- Other keys are refused, so a misspelt key is an error rather than lost. The content hash
-- rules are unchanged. Same signature, so the dashboard's calls are unchanged.

CREATE FUNCTION private.checked_prompt_variables(p_variables jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = '' AS $$
DECLARE
  v_entry jsonb;
  v_at integer := 0;
  v_key text;
  v_names text[] := '{}';
  v_out jsonb := '[]'::jsonb;
  v_spec jsonb;
BEGIN
  IF jsonb_typeof(p_variables) <> 'array' THEN
    RAISE EXCEPTION 'variables must be a JSON array';
  END IF;
  FOR v_entry IN SELECT e FROM jsonb_array_elements(p_variables) e LOOP
    IF jsonb_typeof(v_entry) <> 'object' THEN
      RAISE EXCEPTION 'variables[%] must be an object', v_at;
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(v_entry) LOOP
      IF v_key NOT IN ('name', 'type', 'required', 'default', 'description') THEN
        RAISE EXCEPTION 'variables[%].% is not allowed (expected name, type, required, default, description)', v_at, v_key;
      END IF;
    END LOOP;
    IF jsonb_typeof(v_entry -> 'name') IS DISTINCT FROM 'string' OR btrim(v_entry ->> 'name') = '' THEN
      RAISE EXCEPTION 'variables[%].name must be a non-blank string', v_at;
    END IF;
    IF (v_entry ->> 'name') = ANY (v_names) THEN
      RAISE EXCEPTION 'variables[%].name % is listed twice', v_at, v_entry ->> 'name';
    END IF;
    v_names := v_names || (v_entry ->> 'name');
    IF v_entry ? 'type' AND (jsonb_typeof(v_entry -> 'type') <> 'string' OR btrim(v_entry ->> 'type') = '') THEN
      RAISE EXCEPTION 'variables[%].type must be a non-blank string', v_at;
    END IF;
    IF v_entry ? 'required' AND jsonb_typeof(v_entry -> 'required') <> 'boolean' THEN
      RAISE EXCEPTION 'variables[%].required must be a boolean', v_at;
    END IF;
    IF v_entry ? 'description' AND jsonb_typeof(v_entry -> 'description') NOT IN ('string', 'null') THEN
      RAISE EXCEPTION 'variables[%].description must be a string or null', v_at;
    END IF;
    v_spec := jsonb_build_object('name', v_entry -> 'name', 'type', COALESCE(v_entry -> 'type', '"string"'),
      'required', COALESCE(v_entry -> 'required', 'true'), 'default', COALESCE(v_entry -> 'default', 'null'));
    IF v_entry ? 'description' THEN
      v_spec := v_spec || jsonb_build_object('description', v_entry -> 'description');
    END IF;
    v_out := v_out || jsonb_build_array(v_spec);
    v_at := v_at + 1;
  END LOOP;
  RETURN v_out;
END;
$$;

CREATE OR REPLACE FUNCTION public.dashboard_create_prompt_version(p_project_id uuid, p_prompt_id uuid, p_content text,
  p_model text DEFAULT NULL, p_temperature numeric DEFAULT NULL, p_max_tokens integer DEFAULT NULL,
  p_variables jsonb DEFAULT '[]'::jsonb, p_parent_version_id uuid DEFAULT NULL, p_change_note text DEFAULT NULL,
  p_created_by text DEFAULT NULL)
RETURNS private.prompt_versions
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_number integer;
  v_version private.prompt_versions;
  v_variables jsonb;
BEGIN
  -- Checked before the lock: a bad list is refused without waiting for other saves.
  IF p_variables IS NULL OR p_variables = '[]'::jsonb OR jsonb_typeof(p_variables) = 'null' THEN
    v_variables := private.prompt_variables(p_content);
  ELSE
    v_variables := private.checked_prompt_variables(p_variables);
  END IF;
  -- The lock numbers concurrent saves of one prompt one after the other: no gaps, no clash.
  PERFORM 1 FROM private.prompts WHERE id = p_prompt_id AND project_id = p_project_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'prompt % not found for project', COALESCE(p_prompt_id::text, '<NULL>');
  END IF;
  IF p_parent_version_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM private.prompt_versions WHERE id = p_parent_version_id AND prompt_id = p_prompt_id
  ) THEN
    RAISE EXCEPTION 'prompt version % not found for prompt %', p_parent_version_id, p_prompt_id;
  END IF;
  SELECT COALESCE(max(version_number), 0) + 1 INTO v_number FROM private.prompt_versions WHERE prompt_id = p_prompt_id;
  INSERT INTO private.prompt_versions (prompt_id, project_id, version_number, content, model, temperature, max_tokens,
    variables, parent_version_id, change_note, content_hash, created_by)
  VALUES (p_prompt_id, p_project_id, v_number, p_content, p_model, p_temperature, p_max_tokens,
    v_variables, p_parent_version_id, p_change_note, private.prompt_content_hash(p_content), p_created_by)
  RETURNING * INTO v_version;
  UPDATE private.prompts SET current_version_id = v_version.id, updated_at = now() WHERE id = p_prompt_id;
  RETURN v_version;
END;
$$;

REVOKE ALL ON FUNCTION private.checked_prompt_variables(jsonb) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.checked_prompt_variables(jsonb) TO service_role;
