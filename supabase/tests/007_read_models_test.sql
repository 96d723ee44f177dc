-- Dashboard read models: sessions, traces, events, tool calls, spans, costs.
BEGIN;
SELECT plan(24);

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');
SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0a000000-0000-4000-8000-000000000001","created_at":"2025-03-01T12:00:00Z"},
    {"id":"0a000000-0000-4000-8000-000000000002","created_at":"2025-03-02T12:00:00Z"}]',
  '[{"id":"1a000000-0000-4000-8000-000000000001","session_id":"0a000000-0000-4000-8000-000000000001","name":"first","started_at":"2025-03-01T12:00:01Z","status":"ok",
     "metadata":{"cost_usd":0.5,"total_input_tokens":100,"total_output_tokens":20}},
    {"id":"1a000000-0000-4000-8000-000000000002","session_id":"0a000000-0000-4000-8000-000000000001","name":"second","started_at":"2025-03-01T12:00:05Z","status":"error",
     "error":{"type":"E"},"metadata":{"cost_usd":"lots","total_input_tokens":1.5}}]',
  '[{"id":"2a000000-0000-4000-8000-000000000001","run_id":"1a000000-0000-4000-8000-000000000002","kind":"model","name":"m1","started_at":"2025-03-01T12:00:06Z","status":"ok",
     "attributes":{"model":"gpt-4o","cost_usd":0.25,"input_tokens":40,"output_tokens":10}},
    {"id":"2a000000-0000-4000-8000-000000000002","run_id":"1a000000-0000-4000-8000-000000000002","kind":"model","name":"m2","started_at":"2025-03-01T12:00:07Z","status":"ok",
     "attributes":{"model":"gpt-4o","cost_usd":0.25,"input_tokens":"x"}},
    {"id":"2a000000-0000-4000-8000-000000000003","run_id":"1a000000-0000-4000-8000-000000000002","kind":"tool","name":"search","started_at":"2025-03-01T12:00:08Z","status":"error",
     "error":{"type":"Timeout"}},
    {"id":"2a000000-0000-4000-8000-000000000004","run_id":"1a000000-0000-4000-8000-000000000001","kind":"tool","name":"legacy","started_at":"2025-03-01T12:00:02Z","status":"ok"},
    {"id":"2a000000-0000-4000-8000-000000000005","run_id":"1a000000-0000-4000-8000-000000000001","kind":"model","name":"m3","started_at":"2025-03-01T12:00:03Z","status":"ok",
     "attributes":{"model":"claude","cost_usd":1}}]',
  '[{"id":"3a000000-0000-4000-8000-000000000001","run_id":"1a000000-0000-4000-8000-000000000002","span_id":"2a000000-0000-4000-8000-000000000003","type":"tool_arguments","created_at":"2025-03-01T12:00:08.1Z","content":{"q":"docs"}},
    {"id":"3a000000-0000-4000-8000-000000000002","run_id":"1a000000-0000-4000-8000-000000000002","span_id":"2a000000-0000-4000-8000-000000000003","type":"tool_result","created_at":"2025-03-01T12:00:08.2Z","content":"first"},
    {"id":"3a000000-0000-4000-8000-000000000003","run_id":"1a000000-0000-4000-8000-000000000002","span_id":"2a000000-0000-4000-8000-000000000003","type":"tool_result","created_at":"2025-03-01T12:00:08.3Z","content":"last"},
    {"id":"3a000000-0000-4000-8000-000000000004","run_id":"1a000000-0000-4000-8000-000000000001","span_id":"2a000000-0000-4000-8000-000000000004","type":"custom","created_at":"2025-03-01T12:00:02.1Z","content":{"name":"tool_arguments","data":{"legacy":true}}},
    {"id":"3a000000-0000-4000-8000-000000000005","run_id":"1a000000-0000-4000-8000-000000000001","type":"user_input","created_at":"2025-03-01T12:00:01.5Z","content":"hi"}]');

SET LOCAL ROLE service_role;
SELECT results_eq($$SELECT id, trace_count, tool_call_count, errored_count FROM public.dashboard_list_sessions('aaaaaaaa-0000-4000-8000-000000000000')$$,
  $$VALUES ('0a000000-0000-4000-8000-000000000002'::uuid, 0::bigint, 0::bigint, 0::bigint),
           ('0a000000-0000-4000-8000-000000000001'::uuid, 2::bigint, 2::bigint, 1::bigint)$$,
  'sessions newest first, with traces, tool calls and failed traces');
SELECT is((SELECT total_cost_usd FROM public.dashboard_list_sessions('aaaaaaaa-0000-4000-8000-000000000000')
  WHERE id = '0a000000-0000-4000-8000-000000000001'), 1.00,
  'session cost: run metadata (0.5), and spans where metadata is not a number (0.25 + 0.25)');
SELECT is((SELECT total_input_tokens FROM public.dashboard_list_sessions('aaaaaaaa-0000-4000-8000-000000000000')
  WHERE id = '0a000000-0000-4000-8000-000000000001'), 140::bigint,
  'a fractional token count counts as missing, not as an error');
SELECT is((SELECT total_cost_usd FROM public.dashboard_get_session('aaaaaaaa-0000-4000-8000-000000000000',
  '0a000000-0000-4000-8000-000000000001')), 1.00, 'get_session agrees');
SELECT is_empty($$SELECT * FROM public.dashboard_get_session('bbbbbbbb-0000-4000-8000-000000000000',
  '0a000000-0000-4000-8000-000000000001')$$, 'another project sees no session');
SELECT results_eq($$SELECT name, status, model FROM public.dashboard_list_traces('aaaaaaaa-0000-4000-8000-000000000000',
  '0a000000-0000-4000-8000-000000000001')$$,
  $$VALUES ('first'::text, 'ok'::text, 'claude'::text), ('second', 'error', 'gpt-4o')$$, 'traces in start order, with their model');
SELECT is((SELECT error FROM public.dashboard_get_trace('aaaaaaaa-0000-4000-8000-000000000000',
  '1a000000-0000-4000-8000-000000000002')), '{"type": "E"}'::jsonb, 'a trace shows its error');
SELECT is((SELECT run_id FROM public.dashboard_get_trace('aaaaaaaa-0000-4000-8000-000000000000',
  '1a000000-0000-4000-8000-000000000002')), '1a000000-0000-4000-8000-000000000002'::uuid, 'run_id is the trace id');
SELECT is((SELECT cost_usd FROM public.dashboard_get_trace('aaaaaaaa-0000-4000-8000-000000000000',
  '1a000000-0000-4000-8000-000000000001')), 0.5, 'metadata cost wins when it is a number');
SELECT is_empty($$SELECT * FROM public.dashboard_get_trace('bbbbbbbb-0000-4000-8000-000000000000',
  '1a000000-0000-4000-8000-000000000002')$$, 'another project sees no trace');
SELECT results_eq($$SELECT id FROM public.dashboard_list_trace_events('aaaaaaaa-0000-4000-8000-000000000000',
  '1a000000-0000-4000-8000-000000000002')$$,
  $$VALUES ('3a000000-0000-4000-8000-000000000001'::uuid), ('3a000000-0000-4000-8000-000000000002'::uuid),
           ('3a000000-0000-4000-8000-000000000003'::uuid)$$, 'events in time order');
SELECT results_eq($$SELECT name, params, output, error FROM public.dashboard_list_trace_tool_calls(
  'aaaaaaaa-0000-4000-8000-000000000000', '1a000000-0000-4000-8000-000000000002')$$,
  $$VALUES ('search'::text, '{"q":"docs"}'::jsonb, '"last"'::jsonb, '{"type":"Timeout"}'::jsonb)$$,
  'tool call: earliest arguments, latest result, the span''s error');
SELECT results_eq($$SELECT name, params, output FROM public.dashboard_list_trace_tool_calls(
  'aaaaaaaa-0000-4000-8000-000000000000', '1a000000-0000-4000-8000-000000000001')$$,
  $$VALUES ('legacy'::text, '{"legacy":true}'::jsonb, NULL::jsonb)$$, 'legacy custom tool events are read');
SELECT is((SELECT count(*)::int FROM public.dashboard_list_session_tool_calls('aaaaaaaa-0000-4000-8000-000000000000',
  '0a000000-0000-4000-8000-000000000001')), 2, 'session tool calls');
SELECT is_empty($$SELECT * FROM public.dashboard_list_session_tool_calls('bbbbbbbb-0000-4000-8000-000000000000',
  '0a000000-0000-4000-8000-000000000001')$$, 'another project sees no tool calls');
SELECT results_eq($$SELECT name FROM public.dashboard_list_trace_spans('aaaaaaaa-0000-4000-8000-000000000000',
  '1a000000-0000-4000-8000-000000000002')$$, $$VALUES ('m1'::text), ('m2'), ('search')$$, 'span timeline');
SELECT results_eq($$SELECT cost_usd, input_tokens, model_call_count FROM public.dashboard_session_cost(
  'aaaaaaaa-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000001')$$,
  $$VALUES (1.00::numeric, 140::bigint, 3::bigint)$$, 'session cost with model calls');
SELECT results_eq($$SELECT cost_usd, model_call_count FROM public.dashboard_session_cost(
  'aaaaaaaa-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-0000000000ff')$$,
  $$VALUES (0::numeric, 0::bigint)$$, 'always one row, zeros when there is no data');
SELECT results_eq($$SELECT cost_usd, input_tokens, run_count, by_model FROM public.dashboard_project_cost_summary(
  'aaaaaaaa-0000-4000-8000-000000000000', '2025-01-01')$$,
  $$VALUES (1.50::numeric, 40::bigint, 2::bigint,
    '[{"model":"claude","cost_usd":1},{"model":"gpt-4o","cost_usd":0.50}]'::jsonb)$$,
  'project summary from model spans, by model, costliest first');
SELECT results_eq($$SELECT cost_usd, run_count, by_model FROM public.dashboard_project_cost_summary(
  'aaaaaaaa-0000-4000-8000-000000000000')$$, $$VALUES (0::numeric, 0::bigint, '[]'::jsonb)$$,
  'the default window is the last 30 days');
RESET ROLE;

SELECT ok(NOT has_function_privilege('anon', 'public.dashboard_list_sessions(uuid)', 'EXECUTE'), 'anon cannot list sessions');
SELECT ok(NOT has_function_privilege('authenticated', 'public.dashboard_get_trace(uuid, uuid)', 'EXECUTE'),
  'authenticated cannot read traces');
SELECT is((SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'dashboard\_%'
    AND (has_function_privilege('anon', p.oid, 'EXECUTE') OR NOT has_function_privilege('service_role', p.oid, 'EXECUTE'))),
  NULL, 'every dashboard function: service_role yes, anon no');
SELECT is((SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
  WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'dashboard\_%'
    AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')),
  NULL, 'every dashboard function pins its search_path');

SELECT * FROM finish();
ROLLBACK;
