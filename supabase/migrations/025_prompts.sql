-- 025 prompts: versioned prompt templates, labels (named pointers to versions) with their
-- history, and links from spans to the prompt version they used; the prompt-link half of
-- ingestion.
--
-- Versions are immutable. Their `variables` and `content_hash` are computed here from the
-- content, with the template rules the ingest core (Rust, src/prompt.rs) also implements —
-- a caller's list is not trusted:
--   * a variable name is an ASCII letter or `_`, then ASCII letters, digits or `_`;
--   * `{{ name }}` (ASCII white space optional inside) is a Jinja-style placeholder;
--   * `{name}` (no white space) is a Python-style placeholder unless a `{` comes right
--     before it or a `}` right after it (so `{{{x}}}` holds the Jinja placeholder x, and
--     `{{x}` and `{ x }` hold none);
--   * variables are the distinct names of both forms, sorted by code point, each
--     {"name": n, "type": "string", "required": true, "default": null};
--   * content_hash is "sha256:" + the lowercase hex SHA-256 of the UTF-8 content.
-- Version numbers are gap-free and unique per prompt even under concurrent saves (the
-- prompt row is locked while a version is numbered).

CREATE TABLE private.prompts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  name text NOT NULL CONSTRAINT prompts_name_nonempty CHECK (btrim(name) <> ''),
  slug text NOT NULL CONSTRAINT prompts_slug_nonempty CHECK (btrim(slug) <> ''),
  description text,
  current_version_id uuid,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb CONSTRAINT prompts_labels_is_object CHECK (jsonb_typeof(labels) = 'object'),
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prompts_slug_per_project UNIQUE (project_id, slug)
);
CREATE INDEX idx_prompts_project_name ON private.prompts (project_id, lower(name));

CREATE TABLE private.prompt_versions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  prompt_id uuid NOT NULL REFERENCES private.prompts (id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  version_number integer NOT NULL,
  content text NOT NULL CONSTRAINT prompt_versions_content_size CHECK (char_length(content) <= 65536),
  model text,
  temperature numeric(4, 3) CONSTRAINT prompt_versions_temperature_range CHECK (temperature >= 0 AND temperature <= 2),
  max_tokens integer CONSTRAINT prompt_versions_max_tokens_positive CHECK (max_tokens > 0),
  variables jsonb NOT NULL DEFAULT '[]'::jsonb
    CONSTRAINT prompt_versions_variables_is_array CHECK (jsonb_typeof(variables) = 'array'),
  parent_version_id uuid REFERENCES private.prompt_versions (id) ON DELETE SET NULL,
  change_note text,
  content_hash text NOT NULL,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prompt_versions_unique_number UNIQUE (prompt_id, version_number)
);
CREATE INDEX idx_prompt_versions_prompt_created ON private.prompt_versions (prompt_id, created_at DESC);

ALTER TABLE private.prompts ADD CONSTRAINT prompts_current_version_fk
  FOREIGN KEY (current_version_id) REFERENCES private.prompt_versions (id) ON DELETE SET NULL;
CREATE INDEX idx_prompts_current_version ON private.prompts (current_version_id) WHERE current_version_id IS NOT NULL;

CREATE TABLE private.prompt_label_history (
  id bigserial PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  prompt_id uuid NOT NULL REFERENCES private.prompts (id) ON DELETE CASCADE,
  label text NOT NULL CONSTRAINT prompt_label_history_label_nonempty CHECK (btrim(label) <> ''),
  -- Cascade, so a version can be deleted even after it was labelled (upstream: RESTRICT).
  version_id uuid NOT NULL REFERENCES private.prompt_versions (id) ON DELETE CASCADE,
  deployed_at timestamptz NOT NULL DEFAULT now(),
  deployed_by text,
  change_note text
);
CREATE INDEX idx_prompt_label_history_prompt_time ON private.prompt_label_history (prompt_id, deployed_at DESC);

CREATE TABLE private.prompt_trace_links (
  id bigserial PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  trace_id uuid NOT NULL REFERENCES private.runs (id) ON DELETE CASCADE,
  span_id uuid NOT NULL REFERENCES private.spans (id) ON DELETE CASCADE,
  prompt_version_id uuid NOT NULL REFERENCES private.prompt_versions (id) ON DELETE CASCADE,
  variable_values jsonb NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT prompt_trace_links_variables_is_object CHECK (jsonb_typeof(variable_values) = 'object'),
  linked_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT prompt_trace_links_unique UNIQUE (span_id, prompt_version_id)
);
CREATE INDEX idx_prompt_trace_links_trace ON private.prompt_trace_links (trace_id);
CREATE INDEX idx_prompt_trace_links_version ON private.prompt_trace_links (prompt_version_id);

-- Versions never change once written.
CREATE FUNCTION private.prompt_versions_immutable() RETURNS trigger
LANGUAGE plpgsql SET search_path = '' AS $$
BEGIN
  RAISE EXCEPTION 'prompt versions are immutable: save a new version instead';
END;
$$;
CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON private.prompt_versions
  FOR EACH ROW EXECUTE FUNCTION private.prompt_versions_immutable();

-- The variables of a template (rules above).
CREATE FUNCTION private.prompt_variables(p_content text) RETURNS jsonb
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = '' AS $$
  SELECT COALESCE(jsonb_agg(jsonb_build_object('name', v.name, 'type', 'string', 'required', true, 'default', NULL)
    ORDER BY v.name COLLATE "C"), '[]'::jsonb)
  FROM (
    SELECT m[1] AS name FROM regexp_matches(p_content,
      '\{\{[ \t\n\r\f\v]*([A-Za-z_][A-Za-z0-9_]*)[ \t\n\r\f\v]*\}\}', 'g') AS m
    UNION
    SELECT m[1] FROM regexp_matches(p_content, '(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})', 'g') AS m
  ) v
$$;

-- "sha256:" + lowercase hex SHA-256 of the UTF-8 content (built-in sha256: no extension).
CREATE FUNCTION private.prompt_content_hash(p_content text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE SET search_path = '' AS $$
  SELECT 'sha256:' || encode(pg_catalog.sha256(convert_to(p_content, 'UTF8')), 'hex')
$$;

ALTER TABLE private.prompts ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.prompt_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.prompt_label_history ENABLE ROW LEVEL SECURITY;
ALTER TABLE private.prompt_trace_links ENABLE ROW LEVEL SECURITY;

------------------------------------------------------------------------------ dashboard RPCs

CREATE FUNCTION public.dashboard_list_prompts(p_project_id uuid)
RETURNS TABLE (id uuid, project_id uuid, name text, slug text, description text, current_version_id uuid,
  labels jsonb, created_by text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT p.id, p.project_id, p.name, p.slug, p.description, p.current_version_id, p.labels, p.created_by,
    p.created_at, p.updated_at
  FROM private.prompts p WHERE p.project_id = p_project_id
  ORDER BY p.updated_at DESC, p.name
$$;

CREATE FUNCTION public.dashboard_get_prompt(p_project_id uuid, p_prompt_id uuid)
RETURNS TABLE (id uuid, project_id uuid, name text, slug text, description text, current_version_id uuid,
  labels jsonb, created_by text, created_at timestamptz, updated_at timestamptz, versions jsonb, label_history jsonb)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT p.id, p.project_id, p.name, p.slug, p.description, p.current_version_id, p.labels, p.created_by,
    p.created_at, p.updated_at,
    COALESCE((SELECT jsonb_agg(to_jsonb(v) ORDER BY v.version_number DESC) FROM private.prompt_versions v
      WHERE v.prompt_id = p.id AND v.project_id = p_project_id), '[]'::jsonb),
    COALESCE((SELECT jsonb_agg(to_jsonb(h) ORDER BY h.deployed_at DESC, h.id DESC) FROM private.prompt_label_history h
      WHERE h.prompt_id = p.id AND h.project_id = p_project_id), '[]'::jsonb)
  FROM private.prompts p WHERE p.project_id = p_project_id AND p.id = p_prompt_id
$$;

CREATE FUNCTION public.dashboard_create_prompt(p_project_id uuid, p_name text, p_slug text,
  p_description text DEFAULT NULL, p_created_by text DEFAULT NULL)
RETURNS private.prompts
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  INSERT INTO private.prompts (project_id, name, slug, description, created_by)
  VALUES (p_project_id, p_name, p_slug, p_description, p_created_by)
  RETURNING *
$$;

CREATE FUNCTION public.dashboard_create_prompt_version(p_project_id uuid, p_prompt_id uuid, p_content text,
  p_model text DEFAULT NULL, p_temperature numeric DEFAULT NULL, p_max_tokens integer DEFAULT NULL,
  p_variables jsonb DEFAULT '[]'::jsonb, p_parent_version_id uuid DEFAULT NULL, p_change_note text DEFAULT NULL,
  p_created_by text DEFAULT NULL)
RETURNS private.prompt_versions
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_number integer;
  v_version private.prompt_versions;
BEGIN
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
  -- p_variables is accepted for compatibility and ignored: variables come from the content.
  INSERT INTO private.prompt_versions (prompt_id, project_id, version_number, content, model, temperature, max_tokens,
    variables, parent_version_id, change_note, content_hash, created_by)
  VALUES (p_prompt_id, p_project_id, v_number, p_content, p_model, p_temperature, p_max_tokens,
    private.prompt_variables(p_content), p_parent_version_id, p_change_note, private.prompt_content_hash(p_content),
    p_created_by)
  RETURNING * INTO v_version;
  UPDATE private.prompts SET current_version_id = v_version.id, updated_at = now() WHERE id = p_prompt_id;
  RETURN v_version;
END;
$$;

CREATE FUNCTION public.dashboard_set_prompt_label(p_project_id uuid, p_prompt_id uuid, p_label text,
  p_version_id uuid, p_change_note text DEFAULT NULL, p_deployed_by text DEFAULT NULL)
RETURNS private.prompts
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_label text := btrim(COALESCE(p_label, ''));
  v_prompt private.prompts;
BEGIN
  IF v_label = '' THEN
    RAISE EXCEPTION 'label is required';
  END IF;
  IF v_label = 'prod' AND btrim(COALESCE(p_change_note, '')) = '' THEN
    RAISE EXCEPTION 'change_note is required for prod labels';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM private.prompt_versions
                 WHERE id = p_version_id AND prompt_id = p_prompt_id AND project_id = p_project_id) THEN
    RAISE EXCEPTION 'prompt version % not found for project', COALESCE(p_version_id::text, '<NULL>');
  END IF;
  INSERT INTO private.prompt_label_history (project_id, prompt_id, label, version_id, deployed_by, change_note)
  VALUES (p_project_id, p_prompt_id, v_label, p_version_id, p_deployed_by, p_change_note);
  UPDATE private.prompts SET labels = labels || jsonb_build_object(v_label, p_version_id::text), updated_at = now()
  WHERE id = p_prompt_id AND project_id = p_project_id
  RETURNING * INTO v_prompt;
  RETURN v_prompt;
END;
$$;

CREATE FUNCTION public.dashboard_resolve_prompt_label(p_project_id uuid, p_slug text, p_label text)
RETURNS TABLE (prompt_id uuid, prompt_version_id uuid, version_number integer, content text, model text,
  temperature numeric, max_tokens integer, variables jsonb, content_hash text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT p.id, v.id, v.version_number, v.content, v.model, v.temperature, v.max_tokens, v.variables, v.content_hash
  FROM private.prompts p
  JOIN private.prompt_versions v ON v.prompt_id = p.id AND v.project_id = p_project_id
  WHERE p.project_id = p_project_id AND p.slug = p_slug AND v.id::text = p.labels ->> p_label
$$;

-- Matches by slug only (upstream also matched names case-insensitively, which could
-- return two prompts). A version number wins over the label; NULL means "not given".
CREATE FUNCTION public.dashboard_resolve_prompt(p_project_id uuid, p_slug text, p_label text DEFAULT 'prod',
  p_version integer DEFAULT NULL)
RETURNS TABLE (prompt_id uuid, prompt_version_id uuid, version_number integer, content text, model text,
  temperature numeric, max_tokens integer, variables jsonb, content_hash text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT p.id, v.id, v.version_number, v.content, v.model, v.temperature, v.max_tokens, v.variables, v.content_hash
  FROM private.prompts p
  JOIN private.prompt_versions v ON v.prompt_id = p.id AND v.project_id = p_project_id
  WHERE p.project_id = p_project_id AND p.slug = p_slug
    AND CASE WHEN p_version IS NOT NULL THEN v.version_number = p_version
             ELSE v.id::text = p.labels ->> p_label END
$$;

CREATE FUNCTION public.dashboard_link_span_to_prompt(p_project_id uuid, p_trace_id uuid, p_span_id uuid,
  p_prompt_version_id uuid, p_variable_values jsonb DEFAULT '{}'::jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_run uuid;
BEGIN
  SELECT run_id INTO v_run FROM private.spans WHERE id = p_span_id AND project_id = p_project_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'span % not found for project', COALESCE(p_span_id::text, '<NULL>');
  END IF;
  IF p_trace_id IS DISTINCT FROM v_run THEN
    RAISE EXCEPTION 'span % is not part of trace %', p_span_id, COALESCE(p_trace_id::text, '<NULL>');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM private.prompt_versions WHERE id = p_prompt_version_id AND project_id = p_project_id) THEN
    RAISE EXCEPTION 'prompt version % not found for project', COALESCE(p_prompt_version_id::text, '<NULL>');
  END IF;
  INSERT INTO private.prompt_trace_links AS t (project_id, trace_id, span_id, prompt_version_id, variable_values)
  VALUES (p_project_id, v_run, p_span_id, p_prompt_version_id, COALESCE(NULLIF(p_variable_values, 'null'::jsonb), '{}'::jsonb))
  ON CONFLICT (span_id, prompt_version_id) DO UPDATE SET variable_values = EXCLUDED.variable_values, linked_at = now();
END;
$$;

CREATE FUNCTION public.dashboard_list_trace_prompt_links(p_project_id uuid, p_trace_id uuid)
RETURNS TABLE (id bigint, project_id uuid, trace_id uuid, span_id uuid, prompt_id uuid, prompt_name text,
  prompt_slug text, prompt_version_id uuid, version_number integer, content_hash text, labels jsonb,
  variable_values jsonb, linked_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT l.id, l.project_id, l.trace_id, l.span_id, p.id, p.name, p.slug, v.id, v.version_number, v.content_hash,
    p.labels, l.variable_values, l.linked_at
  FROM private.prompt_trace_links l
  JOIN private.prompt_versions v ON v.id = l.prompt_version_id AND v.project_id = p_project_id
  JOIN private.prompts p ON p.id = v.prompt_id AND p.project_id = p_project_id
  WHERE l.project_id = p_project_id AND l.trace_id = p_trace_id
  ORDER BY l.linked_at DESC, l.id DESC
$$;

------------------------------------------------------------------------------ ingestion

-- Set-based: every link's span is in the project and part of its trace, its version in the
-- project; a (span, version) pair sent twice keeps the later values.
CREATE FUNCTION private.link_trace_prompt_links(p_project_id uuid, p_prompt_links jsonb DEFAULT '[]'::jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_links jsonb := COALESCE(p_prompt_links, '[]'::jsonb);
  v_rows private.prompt_trace_links[];
  v_span uuid;
  v_other uuid;
  v_kind integer;
  v_count integer;
BEGIN
  IF jsonb_typeof(v_links) <> 'array' THEN
    RAISE EXCEPTION 'prompt_links must be a JSON array';
  END IF;
  -- Parsed once into rows of the table's type; `id` carries the position in the array.
  v_rows := ARRAY(
    SELECT ROW(e.n, r.project_id, r.trace_id, r.span_id, r.prompt_version_id, r.variable_values, NULL)::private.prompt_trace_links
    FROM jsonb_array_elements(v_links) WITH ORDINALITY AS e(elem, n),
      LATERAL jsonb_to_record(e.elem) AS r(project_id uuid, trace_id uuid, span_id uuid, prompt_version_id uuid,
        variable_values jsonb));
  v_count := cardinality(v_rows);

  SELECT l.span_id, l.prompt_version_id,
    CASE
      WHEN l.project_id <> p_project_id THEN 1
      WHEN s.id IS NULL THEN 2
      WHEN l.trace_id IS NOT NULL AND l.trace_id <> s.run_id THEN 3
      WHEN v.id IS NULL THEN 4
      WHEN jsonb_typeof(l.variable_values) <> 'object' THEN 5
    END AS kind
  INTO v_span, v_other, v_kind
  FROM unnest(v_rows) l
  LEFT JOIN private.spans s ON s.id = l.span_id AND s.project_id = p_project_id
  LEFT JOIN private.prompt_versions v ON v.id = l.prompt_version_id AND v.project_id = p_project_id
  WHERE l.span_id IS NULL OR l.prompt_version_id IS NULL OR l.project_id <> p_project_id OR s.id IS NULL
     OR (l.trace_id IS NOT NULL AND l.trace_id <> s.run_id) OR v.id IS NULL
     OR jsonb_typeof(l.variable_values) <> 'object'
  ORDER BY l.id
  LIMIT 1;
  IF FOUND THEN
    CASE v_kind
      WHEN 1 THEN RAISE EXCEPTION 'prompt link for span % belongs to a different project', v_span;
      WHEN 2 THEN RAISE EXCEPTION 'span % not found for project', COALESCE(v_span::text, '<NULL>');
      WHEN 3 THEN RAISE EXCEPTION 'span % is not part of trace %', v_span,
        (SELECT l.trace_id FROM unnest(v_rows) l WHERE l.span_id = v_span LIMIT 1);
      WHEN 4 THEN RAISE EXCEPTION 'prompt version % not found for project', COALESCE(v_other::text, '<NULL>');
      ELSE RAISE EXCEPTION 'prompt link for span % has variable_values that are not an object', v_span;
    END CASE;
  END IF;

  INSERT INTO private.prompt_trace_links AS t (project_id, trace_id, span_id, prompt_version_id, variable_values)
  SELECT DISTINCT ON (l.span_id, l.prompt_version_id) p_project_id, s.run_id, l.span_id, l.prompt_version_id,
    COALESCE(l.variable_values, '{}'::jsonb)
  FROM unnest(v_rows) l JOIN private.spans s ON s.id = l.span_id
  ORDER BY l.span_id, l.prompt_version_id, l.id DESC
  ON CONFLICT (span_id, prompt_version_id) DO UPDATE SET variable_values = EXCLUDED.variable_values, linked_at = now()
  WHERE t.project_id = EXCLUDED.project_id;
  RETURN jsonb_build_object('accepted', true, 'counts', jsonb_build_object('prompt_links', v_count));
END;
$$;

CREATE FUNCTION private.ingest_batch_with_prompt_links(p_project_id uuid, p_sessions jsonb DEFAULT '[]'::jsonb,
  p_runs jsonb DEFAULT '[]'::jsonb, p_spans jsonb DEFAULT '[]'::jsonb, p_events jsonb DEFAULT '[]'::jsonb,
  p_prompt_links jsonb DEFAULT '[]'::jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = '' AS $$
DECLARE
  v_ingest jsonb;
BEGIN
  v_ingest := private.ingest_batch(p_project_id, p_sessions, p_runs, p_spans, p_events);
  RETURN jsonb_build_object('accepted', true, 'ingest', v_ingest,
    'prompt_links', private.link_trace_prompt_links(p_project_id, p_prompt_links));
END;
$$;

------------------------------------------------------------------------------ privileges
GRANT SELECT, INSERT, UPDATE, DELETE ON private.prompts, private.prompt_versions, private.prompt_label_history,
  private.prompt_trace_links TO service_role;
GRANT USAGE, SELECT ON SEQUENCE private.prompt_label_history_id_seq, private.prompt_trace_links_id_seq TO service_role;
REVOKE ALL ON private.prompts, private.prompt_versions, private.prompt_label_history, private.prompt_trace_links
  FROM PUBLIC, anon, authenticated;
REVOKE ALL ON FUNCTION private.prompt_versions_immutable(), private.prompt_variables(text),
  private.prompt_content_hash(text), private.link_trace_prompt_links(uuid, jsonb),
  private.ingest_batch_with_prompt_links(uuid, jsonb, jsonb, jsonb, jsonb, jsonb) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION private.prompt_variables(text), private.prompt_content_hash(text),
  private.link_trace_prompt_links(uuid, jsonb), private.ingest_batch_with_prompt_links(uuid, jsonb, jsonb, jsonb, jsonb, jsonb)
  TO service_role;
DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'dashboard\_%prompt%' LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, anon, authenticated', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO service_role', f);
  END LOOP;
END;
$$;
