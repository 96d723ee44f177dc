-- 015 trace errors. Upstream added the run's `error` to the trace read model and the
-- span's `error` to the tool calls here; ours return them from the start (012, 014). What
-- is left for this concern is finding a project's failed runs quickly, for the sessions
-- list's errored_count (023) and the dashboard's error views.
CREATE INDEX idx_runs_project_errored ON private.runs (project_id, session_id) WHERE status = 'error';
