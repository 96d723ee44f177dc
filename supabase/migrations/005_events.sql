-- 005 events: what happened in a run (input, messages, tool traffic, final response).
CREATE TABLE private.events (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES private.runs (id) ON DELETE CASCADE,
  span_id uuid REFERENCES private.spans (id) ON DELETE SET NULL,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  type text NOT NULL CONSTRAINT events_type_check CHECK (type IN (
    'user_input', 'system_message', 'assistant_message', 'reasoning',
    'tool_arguments', 'tool_result', 'final_response', 'custom'
  )),
  created_at timestamptz NOT NULL,
  content jsonb NOT NULL, -- JSON null is allowed (and is not SQL NULL)
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT events_attributes_is_object CHECK (jsonb_typeof(attributes) = 'object')
);
CREATE INDEX idx_events_run_id ON private.events (run_id);
CREATE INDEX idx_events_span_id ON private.events (span_id);
CREATE INDEX idx_events_project_id ON private.events (project_id);
CREATE INDEX idx_events_type ON private.events (type);
CREATE INDEX idx_events_created_at ON private.events (created_at);
