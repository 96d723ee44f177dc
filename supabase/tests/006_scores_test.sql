-- Scores: table rules, single and bulk creation, the score rules, ownership, privileges.
BEGIN;
SELECT plan(23);

SELECT has_table('private', 'scores', 'scores');
SELECT enum_has_labels('private', 'score_data_type', ARRAY['numeric', 'categorical', 'boolean']);
SELECT enum_has_labels('private', 'score_source', ARRAY['human', 'api', 'auto']);
SELECT table_privs_are('private', 'scores', 'service_role', ARRAY['SELECT', 'INSERT'], 'service_role: select and insert only');
SELECT function_returns('public', 'dashboard_bulk_create_scores', ARRAY['uuid', 'jsonb'], 'setof private.scores');
SELECT ok(NOT has_function_privilege('anon', 'public.dashboard_bulk_create_scores(uuid, jsonb)', 'EXECUTE'), 'anon cannot');

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');
SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"},
    {"id":"6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r2","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[{"id":"a1000000-0000-4000-8000-000000000002","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","kind":"model","name":"m","started_at":"2025-03-01T12:00:00Z","status":"ok"}]');

-- Bulk, as service_role (upstream could not: no UPDATE privilege).
SET LOCAL ROLE service_role;
SELECT is((SELECT count(*)::int FROM public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000', '[
  {"id":"5c000000-0000-4000-8000-000000000001","project_id":"aaaaaaaa-0000-4000-8000-000000000000","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":" relevance ","value":0.92,"data_type":"numeric","source":"api","created_at":"2025-03-01T12:05:00.0001Z"},
  {"id":"5c000000-0000-4000-8000-000000000002","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-000000000002","name":"quality","value":0,"data_type":"categorical","string_value":" excellent ","source":"api","comment":"checked","created_at":"2025-03-01T12:05:00Z"},
  {"id":"5c000000-0000-4000-8000-000000000003","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"correct","value":1,"data_type":"boolean","source":"api","created_at":"2025-03-01T12:05:00Z"}]')),
  3, 'bulk creation works as service_role');
SELECT is((SELECT row(name, string_value)::text FROM private.scores WHERE id = '5c000000-0000-4000-8000-000000000002'),
  row('quality', 'excellent')::text, 'name and categorical value are stored trimmed');
SELECT is((SELECT name FROM private.scores WHERE id = '5c000000-0000-4000-8000-000000000001'), 'relevance', 'name trimmed');
SELECT is((SELECT count(*)::int FROM public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000', '[
  {"id":"5c000000-0000-4000-8000-000000000001","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"relevance","value":0.5,"data_type":"numeric","source":"api","created_at":"2025-03-01T12:06:00Z"},
  {"id":"5c000000-0000-4000-8000-000000000001","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"relevance","value":0.7,"data_type":"numeric","source":"api","created_at":"2025-03-01T12:07:00Z"}]')),
  1, 'an id sent twice is written once');
SELECT is((SELECT value FROM private.scores WHERE id = '5c000000-0000-4000-8000-000000000001'), 0.7::float8,
  'the later copy wins, and a re-send overwrites');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"5c000000-0000-4000-8000-000000000009","trace_id":"6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-000000000002","name":"x","value":1,"source":"api"}]')$$,
  'P0001', 'span a1000000-0000-4000-8000-000000000002 not found for trace', 'a score''s span must be of its trace');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"trace_id":"7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":1}]')$$,
  'P0001', 'trace 7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 not found for project', 'the trace must exist in the project');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('bbbbbbbb-0000-4000-8000-000000000000',
  '[{"trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":1}]')$$,
  'P0001', 'trace 5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 not found for project', 'B cannot score A''s trace');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"project_id":"bbbbbbbb-0000-4000-8000-000000000000","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":1}]')$$,
  'P0001', 'score project_id does not match authenticated project', 'a score claiming another project is refused');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT jsonb_agg(jsonb_build_object('trace_id', '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'name', 'x', 'value', 1))
   FROM generate_series(1, 100001)))$$, 'P0001', 'score batch exceeds maximum of 100000',
  'at most 100,000 scores (the record ceiling; 500 before 031)');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":0.5,"data_type":"boolean"}]')$$,
  '23514', NULL, 'boolean scores are 0 or 1');
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":0,"data_type":"categorical","string_value":"  "}]')$$,
  '23514', NULL, 'categorical scores need a string value');
SELECT throws_ok($$SELECT public.dashboard_create_score('aaaaaaaa-0000-4000-8000-000000000000',
  '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'x', 'NaN')$$, '23514', NULL, 'values are finite');
SELECT is((SELECT source::text FROM public.dashboard_create_score('aaaaaaaa-0000-4000-8000-000000000000',
  '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', 'helpful', 1, 'boolean')), 'human', 'a dashboard score is from a human');
SELECT is((SELECT count(*)::int FROM public.dashboard_list_scores('aaaaaaaa-0000-4000-8000-000000000000',
  '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6')), 4, 'the trace lists its scores');
SELECT is_empty($$SELECT * FROM public.dashboard_list_scores('bbbbbbbb-0000-4000-8000-000000000000',
  '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6')$$, 'and another project sees none');
RESET ROLE;
SELECT throws_ok($$SELECT public.dashboard_bulk_create_scores('bbbbbbbb-0000-4000-8000-000000000000',
  '[{"id":"5c000000-0000-4000-8000-000000000001","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":1}]')$$,
  'P0001', NULL, 'B cannot overwrite A''s score');

SELECT * FROM finish();
ROLLBACK;
