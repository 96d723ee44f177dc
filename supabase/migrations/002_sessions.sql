-- 002 sessions: the top of the trace hierarchy (one agent process or conversation).
CREATE TABLE private.sessions (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL, -- client time, no default
  ended_at timestamptz,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT sessions_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX idx_sessions_project_id ON private.sessions (project_id);
CREATE INDEX idx_sessions_created_at ON private.sessions (created_at);
