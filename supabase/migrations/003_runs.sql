-- 003 runs: one agent invocation within a session. A run's id is its "trace id"
-- everywhere else (scores.trace_id, prompt links, the dashboard).
CREATE TABLE private.runs (
  id uuid PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES private.sessions (id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  name text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  status text NOT NULL CONSTRAINT runs_status_check CHECK (status IN ('running', 'ok', 'error')),
  error jsonb CONSTRAINT runs_error_is_object CHECK (error IS NULL OR jsonb_typeof(error) = 'object'),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT runs_metadata_is_object CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX idx_runs_session_id ON private.runs (session_id);
CREATE INDEX idx_runs_project_id ON private.runs (project_id);
CREATE INDEX idx_runs_started_at ON private.runs (started_at);
