-- The tables, columns, types and constraints of migrations 001–009.
BEGIN;
SELECT plan(67);

SELECT has_schema('private');
SELECT tables_are('private', ARRAY['projects', 'api_keys', 'sessions', 'runs', 'spans', 'events',
  'prompts', 'prompt_versions', 'prompt_label_history', 'prompt_trace_links', 'scores', 'eval_datasets', 'eval_runs',
  'project_provider_keys', 'ingest_warnings']);

-- projects
SELECT col_type_is('private', 'projects', 'id', 'uuid', 'projects.id is uuid');
SELECT col_is_pk('private', 'projects', 'id', 'projects.id: col_is_pk');
SELECT col_not_null('private', 'projects', 'name', 'projects.name: col_not_null');
SELECT col_type_is('private', 'projects', 'created_at', 'timestamp with time zone', 'projects.created_at');
SELECT col_has_default('private', 'projects', 'created_at', 'projects.created_at: col_has_default');

-- api_keys
SELECT col_is_pk('private', 'api_keys', 'id', 'api_keys.id: col_is_pk');
SELECT col_not_null('private', 'api_keys', 'project_id', 'api_keys.project_id: col_not_null');
SELECT fk_ok('private', 'api_keys', 'project_id', 'private', 'projects', 'id');
SELECT col_not_null('private', 'api_keys', 'name', 'api_keys.name: col_not_null');
SELECT col_is_unique('private', 'api_keys', 'key_hash', 'api_keys.key_hash: col_is_unique');
SELECT col_is_null('private', 'api_keys', 'revoked_at', 'api_keys.revoked_at: col_is_null');
SELECT has_index('private', 'api_keys', 'idx_api_keys_project_id', 'project_id');
SELECT ok((SELECT indisunique FROM pg_index WHERE indexrelid = 'private.idx_api_keys_project_id'::regclass),
  'one active key per project: the index is unique');
SELECT ok((SELECT pg_get_expr(indpred, indrelid) FROM pg_index
  WHERE indexrelid = 'private.idx_api_keys_project_id'::regclass) = '(revoked_at IS NULL)',
  'the unique index only covers active keys');

-- sessions
SELECT columns_are('private', 'sessions', ARRAY['id', 'project_id', 'created_at', 'ended_at', 'metadata']);
SELECT col_is_pk('private', 'sessions', 'id', 'sessions.id: col_is_pk');
SELECT fk_ok('private', 'sessions', 'project_id', 'private', 'projects', 'id');
SELECT col_not_null('private', 'sessions', 'created_at', 'sessions.created_at: col_not_null');
SELECT col_hasnt_default('private', 'sessions', 'created_at', 'sessions.created_at: col_hasnt_default');
SELECT col_is_null('private', 'sessions', 'ended_at', 'sessions.ended_at: col_is_null');
SELECT col_type_is('private', 'sessions', 'metadata', 'jsonb', 'sessions.metadata is jsonb');
SELECT col_default_is('private', 'sessions', 'metadata', '{}'::jsonb, 'sessions.metadata defaults to {}');
SELECT has_index('private', 'sessions', 'idx_sessions_project_id', 'project_id');
SELECT has_index('private', 'sessions', 'idx_sessions_created_at', 'created_at');

-- runs
SELECT columns_are('private', 'runs',
  ARRAY['id', 'session_id', 'project_id', 'name', 'started_at', 'ended_at', 'status', 'error', 'metadata',
    'otlp_has_root', 'otlp_session_rank']);
SELECT fk_ok('private', 'runs', 'session_id', 'private', 'sessions', 'id');
SELECT fk_ok('private', 'runs', 'project_id', 'private', 'projects', 'id');
SELECT col_not_null('private', 'runs', 'name', 'runs.name: col_not_null');
SELECT col_not_null('private', 'runs', 'started_at', 'runs.started_at: col_not_null');
SELECT col_not_null('private', 'runs', 'status', 'runs.status: col_not_null');
SELECT col_has_check('private', 'runs', 'status', 'runs.status: col_has_check');
SELECT col_is_null('private', 'runs', 'error', 'runs.error: col_is_null');
SELECT has_index('private', 'runs', 'idx_runs_session_id', 'session_id');
SELECT has_index('private', 'runs', 'idx_runs_project_id', 'project_id');
SELECT has_index('private', 'runs', 'idx_runs_started_at', 'started_at');

-- spans
SELECT columns_are('private', 'spans', ARRAY['id', 'run_id', 'project_id', 'parent_span_id', 'kind', 'name',
  'started_at', 'ended_at', 'status', 'error', 'iteration', 'attributes', 'pending_parent_span_id']);
-- 028, 029: no foreign key (ingest checks every reference; see 012_write_path_test).
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'private.spans'::regclass AND contype = 'f'), 0,
  'spans: no per-row foreign key (028, 029)');
SELECT col_type_is('private', 'spans', 'iteration', 'integer', 'spans.iteration is a 32-bit integer');
SELECT col_has_check('private', 'spans', 'kind', 'spans.kind: col_has_check');
SELECT col_has_check('private', 'spans', 'status', 'spans.status: col_has_check');
SELECT has_index('private', 'spans', 'idx_spans_run_id', 'run_id');
SELECT has_index('private', 'spans', 'idx_spans_model_project_started', ARRAY['project_id', 'started_at']);
SELECT is((SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text) FROM pg_index
  WHERE indrelid = 'private.spans'::regclass),
  'private.idx_spans_model_project_started,private.idx_spans_pending_parent,private.idx_spans_run_id,private.spans_pkey',
  'spans: exactly four indexes (028; 035 the partial one on waiting OTLP spans)');
SELECT ok((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'private.idx_spans_model_project_started'::regclass)
  = '(kind = ''model''::text)', 'idx_spans_model_project_started covers model spans only');

-- events
SELECT columns_are('private', 'events',
  ARRAY['id', 'run_id', 'span_id', 'project_id', 'type', 'created_at', 'content', 'attributes']);
SELECT is((SELECT count(*)::int FROM pg_constraint WHERE conrelid = 'private.events'::regclass AND contype = 'f'), 0,
  'events: no per-row foreign key (028, 029)');
SELECT col_not_null('private', 'events', 'content', 'events.content: col_not_null');
SELECT col_has_check('private', 'events', 'type', 'events.type: col_has_check');
SELECT has_index('private', 'events', 'idx_events_run_id', 'run_id');
SELECT has_index('private', 'events', 'idx_events_span_id', 'span_id');
SELECT is((SELECT string_agg(indexrelid::regclass::text, ',' ORDER BY indexrelid::regclass::text) FROM pg_index
  WHERE indrelid = 'private.events'::regclass),
  'private.events_pkey,private.idx_events_run_id,private.idx_events_span_id', 'events: exactly three indexes (028)');
SELECT ok((SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = 'private.idx_events_span_id'::regclass)
  = '(span_id IS NOT NULL)', 'idx_events_span_id skips events without a span');

-- foreign key actions (database.md §2)
SELECT is((SELECT confdeltype::text FROM pg_constraint WHERE conrelid = 'private.runs'::regclass
  AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'private.runs'::regclass AND attname = 'session_id')]),
  'c', 'runs.session_id cascades');
SELECT has_trigger('private', 'runs', 'runs_delete_cascade', 'deleting runs deletes their spans and events (029)');
SELECT is((SELECT tgtype & 1 = 0 AND tgtype & 8 <> 0 FROM pg_trigger WHERE tgname = 'runs_delete_cascade'), true,
  'once per statement, on delete');

-- constraints reject what they should
INSERT INTO private.projects (id, name) VALUES ('00000000-0000-4000-8000-000000000001', 'p');
SELECT throws_ok($$INSERT INTO private.projects (id, name) VALUES (gen_random_uuid(), '   ')$$, '23514', NULL,
  'a blank project name is refused');
SELECT throws_ok($$INSERT INTO private.api_keys (id, project_id, name, key_hash)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', 'k', 'NOT-HEX')$$, '23514', NULL,
  'a key hash must be 64 lowercase hex characters');
INSERT INTO private.sessions (id, project_id, created_at) VALUES ('00000000-0000-4000-8000-0000000000aa',
  '00000000-0000-4000-8000-000000000001', now());
SELECT throws_ok($$INSERT INTO private.sessions (id, project_id, created_at, metadata)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-000000000001', now(), 'null')$$, '23514', NULL,
  'metadata must be a JSON object, not JSON null');
SELECT throws_ok($$INSERT INTO private.runs (id, session_id, project_id, name, started_at, status)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000aa', '00000000-0000-4000-8000-000000000001',
  'r', now(), 'failed')$$, '23514', NULL, 'run status is running, ok or error');
INSERT INTO private.runs (id, session_id, project_id, name, started_at, status) VALUES
  ('00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-0000000000aa',
   '00000000-0000-4000-8000-000000000001', 'r', now(), 'ok');
SELECT throws_ok($$INSERT INTO private.spans (id, run_id, project_id, kind, name, started_at, status)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-000000000001',
  'llm', 's', now(), 'ok')$$, '23514', NULL, 'span kind is one of the five words');
SELECT throws_ok($$INSERT INTO private.spans (id, run_id, project_id, parent_span_id, kind, name, started_at, status)
  VALUES ('00000000-0000-4000-8000-0000000000cc', '00000000-0000-4000-8000-0000000000bb',
  '00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-0000000000cc', 'tool', 's', now(), 'ok')$$,
  '23514', NULL, 'a span cannot be its own parent');
SELECT throws_ok($$INSERT INTO private.spans (id, run_id, project_id, kind, name, started_at, status, iteration)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-000000000001',
  'tool', 's', now(), 'ok', 2147483648)$$, '22003', NULL, 'iteration is 32-bit');
SELECT throws_ok($$INSERT INTO private.events (id, run_id, project_id, type, created_at, content)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-000000000001',
  'tool_output', now(), 'null')$$, '23514', NULL, 'event type is one of the eight words');
SELECT lives_ok($$INSERT INTO private.events (id, run_id, project_id, type, created_at, content)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-000000000001',
  'final_response', now(), 'null')$$, 'event content may be JSON null');
SELECT throws_ok($$INSERT INTO private.events (id, run_id, project_id, type, created_at, content)
  VALUES (gen_random_uuid(), '00000000-0000-4000-8000-0000000000bb', '00000000-0000-4000-8000-000000000001',
  'final_response', now(), NULL)$$, '23502', NULL, 'event content is never SQL NULL');

SELECT * FROM finish();
ROLLBACK;
