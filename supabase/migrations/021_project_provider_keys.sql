-- 021 provider keys for the dashboard's LLM judges. The dashboard server encrypts them
-- (AES-256-GCM with its own key); the database only ever sees ciphertext and a display
-- hint, and list calls never return the ciphertext.
CREATE TABLE private.project_provider_keys (
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  provider text NOT NULL CONSTRAINT project_provider_keys_provider_check CHECK (provider IN ('openai', 'anthropic',
    'openrouter', 'gemini', 'groq', 'mistral', 'cohere', 'together', 'deepseek', 'fireworks', 'perplexity')),
  encrypted_api_key text NOT NULL,
  key_hint text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, provider)
);
ALTER TABLE private.project_provider_keys ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION public.dashboard_list_provider_keys(p_project_id uuid)
RETURNS TABLE (provider text, key_hint text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_temp AS $$
  SELECT k.provider, k.key_hint, k.created_at, k.updated_at
  FROM private.project_provider_keys k WHERE k.project_id = p_project_id
  ORDER BY k.provider
$$;

-- Upstream's version failed on every call (an ambiguous column); output columns are
-- qualified here.
CREATE FUNCTION public.dashboard_upsert_provider_key(p_project_id uuid, p_provider text, p_encrypted_api_key text,
  p_key_hint text)
RETURNS TABLE (provider text, key_hint text, created_at timestamptz, updated_at timestamptz)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_temp AS $$
  INSERT INTO private.project_provider_keys AS k (project_id, provider, encrypted_api_key, key_hint)
  VALUES (p_project_id, p_provider, p_encrypted_api_key, p_key_hint)
  ON CONFLICT ON CONSTRAINT project_provider_keys_pkey DO UPDATE
    SET encrypted_api_key = EXCLUDED.encrypted_api_key, key_hint = EXCLUDED.key_hint, updated_at = now()
  RETURNING k.provider, k.key_hint, k.created_at, k.updated_at
$$;

CREATE FUNCTION public.dashboard_delete_provider_key(p_project_id uuid, p_provider text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_temp AS $$
  DELETE FROM private.project_provider_keys k WHERE k.project_id = p_project_id AND k.provider = p_provider
$$;

-- The ciphertext, for the dashboard server to decrypt.
CREATE FUNCTION public.dashboard_get_provider_key(p_project_id uuid, p_provider text)
RETURNS TABLE (encrypted_api_key text)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = pg_temp AS $$
  SELECT k.encrypted_api_key FROM private.project_provider_keys k
  WHERE k.project_id = p_project_id AND k.provider = p_provider
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON private.project_provider_keys TO service_role;
REVOKE ALL ON private.project_provider_keys FROM PUBLIC, anon, authenticated;
REVOKE ALL ON FUNCTION public.dashboard_list_provider_keys(uuid), public.dashboard_upsert_provider_key(uuid, text, text, text),
  public.dashboard_delete_provider_key(uuid, text), public.dashboard_get_provider_key(uuid, text)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_list_provider_keys(uuid), public.dashboard_upsert_provider_key(uuid, text, text, text),
  public.dashboard_delete_provider_key(uuid, text), public.dashboard_get_provider_key(uuid, text) TO service_role;
