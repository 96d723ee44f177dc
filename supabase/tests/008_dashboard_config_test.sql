-- Eval datasets and runs, provider keys, alert rules and webhooks.
BEGIN;
SELECT plan(29);

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');
SET LOCAL ROLE service_role;

-- Eval datasets.
SELECT is((SELECT file_format FROM public.dashboard_create_eval_dataset('da000000-0000-4000-8000-000000000001',
  'aaaaaaaa-0000-4000-8000-000000000000', ' Cases ', 'cases.JSONL', ' JSONL ', 'application/jsonl', 120,
  'aaaaaaaa-0000-4000-8000-000000000000/da000000-0000-4000-8000-000000000001/cases.jsonl', 3)), 'jsonl',
  'create trims and lower-cases the format');
SELECT throws_ok($$SELECT public.dashboard_create_eval_dataset(gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000000',
  'x', 'x.pdf', 'pdf', 'application/pdf', 1, 'p/x.pdf', NULL)$$, '23514', NULL, 'unknown formats are refused');
SELECT throws_ok($$SELECT public.dashboard_create_eval_dataset(gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000000',
  'dup', 'c.jsonl', 'jsonl', 'x', 1, 'aaaaaaaa-0000-4000-8000-000000000000/da000000-0000-4000-8000-000000000001/cases.jsonl', 1)$$,
  '23505', NULL, 'one storage path per project');
SELECT is((SELECT count(*)::int FROM public.dashboard_list_eval_datasets('aaaaaaaa-0000-4000-8000-000000000000')), 1, 'listed');
SELECT is_empty($$SELECT * FROM public.dashboard_get_eval_dataset('bbbbbbbb-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001')$$, 'another project does not see it');
SELECT is((SELECT case_count FROM public.dashboard_update_eval_dataset('aaaaaaaa-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001', 'CSV', 'text/csv', 99, 7)), 7, 'update changes the file facts');
SELECT is_empty($$SELECT * FROM public.dashboard_update_eval_dataset('bbbbbbbb-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001', 'csv', 'text/csv', 1, 1)$$, 'and another project cannot');

-- Eval runs.
SELECT is((SELECT status FROM public.dashboard_create_eval_run('ea000000-0000-4000-8000-000000000001',
  'aaaaaaaa-0000-4000-8000-000000000000', 'da000000-0000-4000-8000-000000000001', 'passed', 3, 3, 0, 3, 0, 1.0, 0,
  '{"cases":[]}')), 'passed', 'a run is recorded');
SELECT throws_ok($$SELECT public.dashboard_create_eval_run(gen_random_uuid(), 'bbbbbbbb-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001', 'passed', 1, 1, 0, 1, 0, 1, 0, '{}')$$, 'P0001', 'Eval dataset not found',
  'a run of another project''s dataset is refused');
SELECT throws_ok($$INSERT INTO private.eval_runs (id, project_id, dataset_id, status, total_cases, evaluated_cases,
  not_evaluated_cases, passed_cases, failed_cases, pass_rate, skipped_grades, result) VALUES (gen_random_uuid(),
  'bbbbbbbb-0000-4000-8000-000000000000', 'da000000-0000-4000-8000-000000000001', 'passed', 1, 1, 0, 1, 0, 1, 0, '{}')$$,
  '23503', NULL, 'even written directly, a run''s dataset must be of its project');
SELECT throws_ok($$SELECT public.dashboard_create_eval_run(gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001', 'error', 1, 0, 1, 0, 0, 0, 0)$$, '23514', NULL, 'an error run needs its error');
SELECT throws_ok($$SELECT public.dashboard_create_eval_run(gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001', 'passed', 2, 2, 0, 3, 0, 1, 0, '{}')$$, '23514', NULL,
  'counts must be consistent');
SELECT is((SELECT count(*)::int FROM public.dashboard_list_eval_runs('aaaaaaaa-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001')), 1, 'runs are listed');
SELECT is((SELECT result FROM public.dashboard_get_eval_run('aaaaaaaa-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001', 'ea000000-0000-4000-8000-000000000001')), '{"cases":[]}'::jsonb, 'in full');
SELECT is((SELECT storage_path FROM public.dashboard_delete_eval_dataset('aaaaaaaa-0000-4000-8000-000000000000',
  'da000000-0000-4000-8000-000000000001')),
  'aaaaaaaa-0000-4000-8000-000000000000/da000000-0000-4000-8000-000000000001/cases.jsonl',
  'delete returns the storage path');
SELECT is((SELECT count(*)::int FROM private.eval_runs), 0, 'and its runs go with it');

-- Provider keys (upstream's upsert could not run at all).
SELECT is((SELECT key_hint FROM public.dashboard_upsert_provider_key('aaaaaaaa-0000-4000-8000-000000000000', 'openai',
  'iv.tag.ciphertext', 'sk-...abcd')), 'sk-...abcd', 'a provider key is saved');
SELECT is((SELECT key_hint FROM public.dashboard_upsert_provider_key('aaaaaaaa-0000-4000-8000-000000000000', 'openai',
  'iv2.tag2.ciphertext2', 'sk-...wxyz')), 'sk-...wxyz', 'and replaced');
SELECT is((SELECT encrypted_api_key FROM public.dashboard_get_provider_key('aaaaaaaa-0000-4000-8000-000000000000', 'openai')),
  'iv2.tag2.ciphertext2', 'the ciphertext is returned to the dashboard server');
SELECT columns_are('private', 'project_provider_keys',
  ARRAY['project_id', 'provider', 'encrypted_api_key', 'key_hint', 'created_at', 'updated_at']);
SELECT ok(pg_get_function_result('public.dashboard_list_provider_keys(uuid)'::regprocedure) NOT LIKE '%encrypted%',
  'list never returns the ciphertext');
SELECT throws_ok($$SELECT public.dashboard_upsert_provider_key('aaaaaaaa-0000-4000-8000-000000000000', 'acme', 'x', 'y')$$,
  '23514', NULL, 'unknown providers are refused');

-- Alert rules and webhooks.
SELECT is((SELECT threshold FROM public.dashboard_upsert_alert_rule('a1e00000-0000-4000-8000-000000000001',
  'aaaaaaaa-0000-4000-8000-000000000000', 'error_rate', 0.1, true)), 0.1, 'a rule is created (upstream: always failed)');
SELECT is((SELECT id FROM public.dashboard_upsert_alert_rule(gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000000',
  'error_rate', 0.2, true)), 'a1e00000-0000-4000-8000-000000000001'::uuid, 'a second rule of a kind updates the first');
SELECT throws_ok($$SELECT public.dashboard_upsert_alert_rule('a1e00000-0000-4000-8000-000000000001',
  'bbbbbbbb-0000-4000-8000-000000000000', 'error_rate', 9, true)$$, 'P0001',
  'alert rule a1e00000-0000-4000-8000-000000000001 belongs to a different project', 'B cannot modify A''s rule');
SELECT throws_ok($$SELECT public.dashboard_create_webhook(gen_random_uuid(), 'aaaaaaaa-0000-4000-8000-000000000000',
  'http://169.254.169.254/latest')$$, '23514', NULL, 'webhook URLs must be https');
SELECT is((SELECT status FROM public.dashboard_create_webhook(NULL, 'aaaaaaaa-0000-4000-8000-000000000000',
  'https://hooks.example.com/ns')), 'active', 'an https webhook is created');
RESET ROLE;

SELECT is((SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c
  WHERE c.relkind = 'r' AND (c.relnamespace = 'private'::regnamespace
    OR c.oid IN ('public.alert_rules'::regclass, 'public.webhooks'::regclass)) AND NOT c.relrowsecurity),
  NULL, 'row level security is on for every table of private, alert_rules and webhooks');
SELECT is((SELECT string_agg(table_schema || '.' || table_name || ':' || grantee, ', ')
  FROM information_schema.role_table_grants
  WHERE grantee IN ('anon', 'authenticated', 'PUBLIC')
    AND (table_schema = 'private' OR table_name IN ('alert_rules', 'webhooks'))),
  NULL, 'anon, authenticated and PUBLIC hold nothing on them');

SELECT * FROM finish();
ROLLBACK;
