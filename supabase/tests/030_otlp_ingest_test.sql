-- 035: private.ingest_otlp_batch stores a trace's spans whatever request they arrive in and
-- ends in the trace's state: children first across calls, root last, a duplicate re-send.
BEGIN;
SELECT plan(23);

SELECT function_returns('private', 'ingest_otlp_batch',
  ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb'], 'jsonb');
SELECT ok(has_function_privilege('service_role',
  'private.ingest_otlp_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'service_role may call it');
SELECT ok(NOT has_function_privilege('authenticated',
  'private.ingest_otlp_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'authenticated cannot');
SELECT has_index('private', 'spans', 'idx_spans_pending_parent', 'waiting children are found by an index');

INSERT INTO private.projects (id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'A'),
  ('bbbbbbbb-0000-4000-8000-000000000000', 'B');

-- Ids: T the trace's own session, S the conversation's, R the run, X root, Y child, Z grandchild.
CREATE TEMP TABLE ids AS SELECT
  'a0000000-0000-4000-8000-00000000000f'::uuid AS t, 'a0000000-0000-4000-8000-000000000005'::uuid AS s,
  'a0000000-0000-4000-8000-0000000000a0'::uuid AS r, 'a0000000-0000-4000-8000-0000000000c1'::uuid AS x,
  'a0000000-0000-4000-8000-0000000000c2'::uuid AS y, 'a0000000-0000-4000-8000-0000000000c3'::uuid AS z;
GRANT SELECT ON ids TO service_role;

CREATE FUNCTION pg_temp.call(p_project uuid, p_session uuid, p_run jsonb, p_rank int, p_root boolean, p_spans jsonb,
  p_links jsonb DEFAULT '[]') RETURNS jsonb LANGUAGE sql AS $$
  SELECT private.ingest_otlp_batch(p_project,
    jsonb_build_array(jsonb_build_object('id', p_session, 'created_at', p_run->>'started_at',
      'metadata', jsonb_build_object('k', p_session))),
    jsonb_build_array(p_run || jsonb_build_object('session_id', p_session)), p_spans, '[]', p_links, '[]', '[]',
    jsonb_build_array(jsonb_build_object('id', p_run->>'id', 'has_root', p_root, 'session_rank', p_rank)))
$$;
CREATE FUNCTION pg_temp.span(p_id uuid, p_parent uuid, p_name text, p_start text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', p_id, 'run_id', (SELECT r FROM ids), 'parent_span_id', p_parent, 'kind', 'custom',
    'name', p_name, 'started_at', p_start, 'ended_at', p_start, 'status', 'ok', 'attributes', '{}'::jsonb)
$$;
CREATE FUNCTION pg_temp.provisional(p_name text, p_start text) RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', (SELECT r FROM ids), 'name', p_name, 'started_at', p_start, 'status', 'running',
    'metadata', jsonb_build_object('otel.trace_id', 'ab'))
$$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO service_role;

SET LOCAL ROLE service_role;
-- 1. The grandchild alone: a provisional run in the trace's session, the span waiting for Y.
SELECT lives_ok($$SELECT pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT t FROM ids),
  pg_temp.provisional('z', '2025-03-01T12:00:03Z'), 0, false,
  jsonb_build_array(pg_temp.span((SELECT z FROM ids), (SELECT y FROM ids), 'z', '2025-03-01T12:00:03Z')))$$,
  'a span whose parent is nowhere is stored');
SELECT is((SELECT (parent_span_id, pending_parent_span_id)::text FROM private.spans WHERE id = (SELECT z FROM ids)),
  (SELECT (NULL::uuid, y)::text FROM ids), 'as a root, waiting for its parent');
SELECT is((SELECT array_agg(parent_span_id IS NULL) FROM public.dashboard_list_trace_spans(
    'aaaaaaaa-0000-4000-8000-000000000000', (SELECT r FROM ids)) WHERE id = (SELECT z FROM ids)),
  ARRAY[true], 'the spans read model shows it, as a root');
SELECT is((SELECT (name, status, otlp_has_root, session_id)::text FROM private.runs),
  (SELECT ('z', 'running', false, t)::text FROM ids), 'the run is provisional, in the trace''s session');

-- 2. The child, naming a conversation (rank 1): the run moves to S, T is deleted, Z adopts Y.
SELECT lives_ok($$SELECT pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT s FROM ids),
  pg_temp.provisional('y', '2025-03-01T12:00:01Z'), 1, false,
  jsonb_build_array(pg_temp.span((SELECT y FROM ids), (SELECT x FROM ids), 'y', '2025-03-01T12:00:01Z')))$$,
  'the child arrives');
SELECT is((SELECT array_agg(id) FROM private.sessions), (SELECT ARRAY[s] FROM ids), 'the run moved; the empty session is gone');
SELECT is((SELECT (name, started_at)::text FROM private.runs), '(y,"2025-03-01 12:00:01+00")',
  'two provisional versions keep the least (started_at, name)');
SELECT is((SELECT (parent_span_id, pending_parent_span_id)::text FROM private.spans WHERE id = (SELECT z FROM ids)),
  (SELECT (y, NULL::uuid)::text FROM ids), 'the waiting grandchild adopted its parent');

-- 3. The root last, its request naming no conversation (rank 0): the stored rank-1 session stays.
SELECT lives_ok($$SELECT pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT t FROM ids),
  pg_temp.provisional('y', '2025-03-01T12:00:00Z') || '{"name":"agent","status":"ok","ended_at":"2025-03-01T12:00:09Z","metadata":{"otel.resource":{"a":1}}}',
  0, true, jsonb_build_array(pg_temp.span((SELECT x FROM ids), NULL, 'agent', '2025-03-01T12:00:00Z')))$$,
  'the root arrives last');
SELECT is((SELECT (name, started_at, ended_at, status, otlp_has_root, session_id, metadata)::text FROM private.runs),
  (SELECT ('agent', '2025-03-01 12:00:00+00'::timestamptz, '2025-03-01 12:00:09+00'::timestamptz, 'ok', true, s,
    '{"otel.resource": {"a": 1}, "otel.trace_id": "ab"}'::jsonb)::text FROM ids), 'the root''s run wins; metadata merged');
SELECT is((SELECT array_agg((id, created_at)::text) FROM private.sessions),
  (SELECT ARRAY[(s, '2025-03-01 12:00:00+00'::timestamptz)::text] FROM ids), 'no session for the root''s request; created_at is the run''s start');
SELECT is((SELECT array_agg((name, parent_span_id, pending_parent_span_id)::text ORDER BY name) FROM private.spans),
  (SELECT ARRAY[('agent', NULL::uuid, NULL::uuid)::text, ('y', x, NULL::uuid)::text, ('z', y, NULL::uuid)::text] FROM ids),
  'the tree is the trace''s');

-- 4. A duplicate of the grandchild, provisional again: nothing changes.
SELECT lives_ok($$SELECT pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT t FROM ids),
  pg_temp.provisional('z', '2025-03-01T12:00:03Z'), 0, false,
  jsonb_build_array(pg_temp.span((SELECT z FROM ids), (SELECT y FROM ids), 'z', '2025-03-01T12:00:03Z')))$$,
  'a duplicate re-send');
SELECT is((SELECT (name, status, otlp_has_root, session_id)::text || (SELECT count(*) FROM private.sessions) FROM private.runs),
  (SELECT ('agent', 'ok', true, s)::text || '1' FROM ids), 'a stored root run keeps its values');

-- Another project cannot touch the run.
SELECT throws_ok($$SELECT pg_temp.call('bbbbbbbb-0000-4000-8000-000000000000', 'b0000000-0000-4000-8000-00000000000f',
  pg_temp.provisional('q', '2025-03-01T12:00:03Z'), 0, false, '[]')$$,
  'P0001', 'run a0000000-0000-4000-8000-0000000000a0 belongs to a different project', 'a run never moves to another project');

-- A malformed trace (each span names the other as parent): stored, and never a cycle.
SELECT lives_ok($$SELECT pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT s FROM ids),
  pg_temp.provisional('z', '2025-03-01T12:00:03Z'), 1, false,
  jsonb_build_array(pg_temp.span('a0000000-0000-4000-8000-0000000000d1', 'a0000000-0000-4000-8000-0000000000d2', 'p', '2025-03-01T12:00:05Z')))
  || pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT s FROM ids),
  pg_temp.provisional('z', '2025-03-01T12:00:03Z'), 1, false,
  jsonb_build_array(pg_temp.span('a0000000-0000-4000-8000-0000000000d2', 'a0000000-0000-4000-8000-0000000000d1', 'q', '2025-03-01T12:00:05Z')))$$,
  'two spans naming each other are stored');
SELECT is((SELECT array_agg((parent_span_id IS NULL, pending_parent_span_id IS NULL)::text ORDER BY id) FROM private.spans
  WHERE id IN ('a0000000-0000-4000-8000-0000000000d1', 'a0000000-0000-4000-8000-0000000000d2')),
  ARRAY['(t,f)', '(f,t)'], 'the first keeps waiting rather than close a cycle');

-- A prompt link to a prompt version that is not stored: skipped with a warning row.
SELECT lives_ok($$SELECT pg_temp.call('aaaaaaaa-0000-4000-8000-000000000000', (SELECT s FROM ids),
  pg_temp.provisional('z', '2025-03-01T12:00:03Z'), 1, false, '[]',
  jsonb_build_array(jsonb_build_object('project_id', 'aaaaaaaa-0000-4000-8000-000000000000', 'span_id', (SELECT x FROM ids),
    'prompt_version_id', 'a0000000-0000-4000-8000-0000000000ee', 'variable_values', '{}'::jsonb)))$$,
  'an export with a link to an unknown prompt version is stored');
SELECT is((SELECT array_agg(record_kind || ' ' || code || ' ' || record_id) FROM private.ingest_warnings),
  (SELECT ARRAY['prompt_link prompt_version_not_found ' || x] FROM ids), 'and the link is skipped with a warning');

SELECT * FROM finish();
ROLLBACK;
