-- Ingest warnings (031): the table, its writer inside the batch's transaction, the read
-- model, privileges; the score cap at the record ceiling; repaired text stored by jsonb.
BEGIN;
SELECT plan(17);

SELECT has_table('private', 'ingest_warnings', 'ingest_warnings');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'private.ingest_warnings'::regclass), 'row level security is on');
SELECT table_privs_are('private', 'ingest_warnings', 'service_role', ARRAY['SELECT'], 'service_role: read only');
SELECT table_privs_are('private', 'ingest_warnings', 'authenticated', ARRAY[]::text[], 'authenticated: nothing');
SELECT ok(NOT has_function_privilege('anon', 'private.record_ingest_warnings(uuid, jsonb)', 'EXECUTE'), 'anon cannot write');
SELECT ok(NOT has_function_privilege('authenticated', 'public.dashboard_list_ingest_warnings(uuid, integer, bigint, uuid, text)', 'EXECUTE'),
  'authenticated cannot read');
SELECT has_index('private', 'ingest_warnings', 'idx_ingest_warnings_project_recent', 'an index for per-project listing');

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');

SET LOCAL ROLE service_role;
-- The repaired text the core writes (U+FFFD as an escape, a cut string with its marker) is
-- stored by jsonb as is.
SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z","metadata":{"k\ufffd":"v\ufffd"}}]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r\ufffd","started_at":"2025-03-01T12:00:00Z","status":"ok","metadata":{"input":"abc\u2026[truncated 12 bytes]"}}]',
  '[]');
SELECT is((SELECT name FROM private.runs WHERE id = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6'), E'r\uFFFD', 'a replaced character is stored');
SELECT is((SELECT metadata ->> 'input' FROM private.runs WHERE id = '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6'),
  E'abc\u2026[truncated 12 bytes]', 'a cut string keeps its marker');

SELECT is(private.record_ingest_warnings('aaaaaaaa-0000-4000-8000-000000000000', '[
  {"kind":"run","record_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","path":"runs[0].name","code":"nul_character","message":"m1"},
  {"kind":"session","record_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","path":"sessions[0].metadata[\"k\ufffd\"]","code":"lone_surrogate","message":"m2"},
  {"kind":"run","record_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","path":"runs[0].metadata.input","code":"field_truncated","message":"m3"}]'),
  3, 'warnings are written, one row each');
SELECT private.record_ingest_warnings('bbbbbbbb-0000-4000-8000-000000000000',
  '[{"kind":"span","record_id":"a1000000-0000-4000-8000-000000000002","path":"spans[0].name","code":"nul_character","message":"b"}]');
SELECT throws_ok($$SELECT private.record_ingest_warnings('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"kind":"thing","record_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","path":"x","code":"c","message":"m"}]')$$,
  '23514', NULL, 'an unknown record kind is refused');

SELECT is((SELECT array_agg(code ORDER BY id DESC) FROM public.dashboard_list_ingest_warnings('aaaaaaaa-0000-4000-8000-000000000000')),
  ARRAY['field_truncated', 'lone_surrogate', 'nul_character'], 'listed newest first, only the project''s own');
SELECT is((SELECT DISTINCT total_count FROM public.dashboard_list_ingest_warnings('aaaaaaaa-0000-4000-8000-000000000000', 1)),
  3::bigint, 'each page carries the total');
SELECT is((SELECT count(*)::int FROM public.dashboard_list_ingest_warnings('aaaaaaaa-0000-4000-8000-000000000000', 100, NULL,
  '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6')), 2, 'the warnings of one record');
SELECT is((SELECT path FROM public.dashboard_list_ingest_warnings('aaaaaaaa-0000-4000-8000-000000000000', 100,
  (SELECT max(id) FROM private.ingest_warnings WHERE project_id = 'aaaaaaaa-0000-4000-8000-000000000000'), NULL, 'lone_surrogate')),
  'sessions[0].metadata["k' || E'\uFFFD' || '"]', 'paging by id, filtering by code');

-- The score cap is the record ceiling: 501 scores are one call.
SELECT is((SELECT count(*)::int FROM public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT jsonb_agg(jsonb_build_object('trace_id', '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'name', 'x', 'value', i, 'source', 'api'))
   FROM generate_series(1, 501) i))), 501, '501 scores in one batch are stored');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000', '{}')$$,
  'P0001', 'scores must be a JSON array', 'the other rules are unchanged');

SELECT * FROM finish();
ROLLBACK;
