-- 004 spans: the steps of a run, in a tree (parent_span_id).
CREATE TABLE private.spans (
  id uuid PRIMARY KEY,
  run_id uuid NOT NULL REFERENCES private.runs (id) ON DELETE CASCADE,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  parent_span_id uuid REFERENCES private.spans (id) ON DELETE SET NULL
    CONSTRAINT spans_not_own_parent CHECK (parent_span_id <> id),
  kind text NOT NULL CONSTRAINT spans_kind_check CHECK (kind IN ('agent', 'workflow', 'model', 'tool', 'custom')),
  name text NOT NULL,
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  status text NOT NULL CONSTRAINT spans_status_check CHECK (status IN ('running', 'ok', 'error')),
  error jsonb CONSTRAINT spans_error_is_object CHECK (error IS NULL OR jsonb_typeof(error) = 'object'),
  iteration integer,
  attributes jsonb NOT NULL DEFAULT '{}'::jsonb
    CONSTRAINT spans_attributes_is_object CHECK (jsonb_typeof(attributes) = 'object')
);
CREATE INDEX idx_spans_run_id ON private.spans (run_id);
CREATE INDEX idx_spans_parent_span_id ON private.spans (parent_span_id);
CREATE INDEX idx_spans_project_id ON private.spans (project_id);
CREATE INDEX idx_spans_started_at ON private.spans (started_at);
CREATE INDEX idx_spans_kind ON private.spans (kind);
