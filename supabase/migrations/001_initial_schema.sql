-- 001 initial schema: the private schema, projects (the tenants) and their API keys.
--
-- Everything NorthStar stores lives in `private`, which PostgREST does not expose: the
-- Data API roles (anon, authenticated) get nothing here. API keys are stored only as the
-- lowercase hex SHA-256 of the token; the plaintext exists only when a key is created.

-- Objects of the alpha version, if a database still has them.
DROP TABLE IF EXISTS public.tool_calls;
DROP TABLE IF EXISTS public.traces;
DROP TABLE IF EXISTS public.sessions;
DROP FUNCTION IF EXISTS public.get_session_stats();

CREATE SCHEMA private;
REVOKE ALL ON SCHEMA private FROM PUBLIC;
-- PostgreSQL grants EXECUTE on every new function to PUBLIC, and a per-schema default
-- privilege cannot take that back: each migration that adds a function in `private`
-- revokes it explicitly, and 009 checks that none is left.

CREATE TABLE private.projects (
  id uuid PRIMARY KEY,
  name text NOT NULL CONSTRAINT projects_name_not_blank CHECK (btrim(name) <> ''),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE private.api_keys (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  name text NOT NULL,
  key_hash text NOT NULL UNIQUE
    CONSTRAINT api_keys_key_hash_is_sha256_hex CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- NULL while the key is active; rotation and revocation set it, so history is kept.
  revoked_at timestamptz
);
-- Replaced in 008 by the "one active key per project" unique index of the same name.
CREATE INDEX idx_api_keys_project_id ON private.api_keys (project_id);
