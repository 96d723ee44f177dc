-- 028 hot tables: each foreign key and index on private.spans and private.events is kept
-- only for what it serves (database.md, decision 8; issue 10).
--
-- Foreign keys. Every row of these tables is written by private.ingest_batch (027), which
-- checks set-based, for the whole batch, what the dropped keys checked row by row; the
-- service role loses INSERT and UPDATE on both tables below, so no writer bypasses it
-- (postgres, the owner, bypasses everything anyway). Dropped (pinned names that change):
--   * spans_project_id_fkey, events_project_id_fkey: a row's project is its run's project
--     (ingest checks it), and deleting a project still removes every row: projects →
--     runs (runs_project_id_fkey, CASCADE) → spans and events (run_id keys, CASCADE);
--   * spans_parent_span_id_fkey: the parent is checked by ingest (stored or in the batch,
--     same project, same run). Without the key a future path (OTLP, issue 12) may store
--     a child before its parent. Parent and child are in one run, so deleting the run
--     deletes both; the key's ON DELETE SET NULL applied only to an owner deleting a
--     single span, which nothing does;
--   * events_span_id_fkey: the same (an event's span is of the event's run).
-- Kept here: spans_run_id_fkey and events_run_id_fkey (ON DELETE CASCADE), which give
-- "removing a run, session or project removes its rows" and keep a run deleted during an
-- ingest from leaving orphans; 029 replaces them by set-based equivalents (measured apart
-- by `deno task bench:db --levers`).
--
-- Indexes (each insert pays for every index):
--   * kept: the primary keys (ingest's lookup); idx_spans_run_id and idx_events_run_id
--     (the trace read models 012–016, 022, 023, and deleting a run's rows);
--   * idx_events_span_id becomes partial (span_id IS NOT NULL): it serves the tool-call
--     read model (014), which looks events up by span; events without a span skip it;
--   * idx_spans_project_id, idx_spans_started_at and idx_spans_kind become one partial
--     index idx_spans_model_project_started (project_id, started_at) WHERE kind = 'model':
--     the project cost summary (016) reads model spans of a project since a date; the
--     other read models reach spans through their run;
--   * dropped: idx_spans_parent_span_id (served the dropped key's SET NULL),
--     idx_events_project_id, idx_events_type, idx_events_created_at (no read model filters
--     events on them without their run or span).

ALTER TABLE private.spans DROP CONSTRAINT spans_project_id_fkey;
ALTER TABLE private.spans DROP CONSTRAINT spans_parent_span_id_fkey;
ALTER TABLE private.events DROP CONSTRAINT events_project_id_fkey;
ALTER TABLE private.events DROP CONSTRAINT events_span_id_fkey;

DROP INDEX private.idx_spans_parent_span_id;
DROP INDEX private.idx_spans_project_id;
DROP INDEX private.idx_spans_started_at;
DROP INDEX private.idx_spans_kind;
DROP INDEX private.idx_events_project_id;
DROP INDEX private.idx_events_type;
DROP INDEX private.idx_events_created_at;
DROP INDEX private.idx_events_span_id;
CREATE INDEX idx_events_span_id ON private.events (span_id) WHERE span_id IS NOT NULL;
CREATE INDEX idx_spans_model_project_started ON private.spans (project_id, started_at) WHERE kind = 'model';

-- Only the checking functions write these tables.
REVOKE INSERT, UPDATE ON private.spans, private.events FROM service_role;
