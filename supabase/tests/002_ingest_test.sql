-- private.ingest_batch: signatures, idempotency, updates, ownership, references,
-- ordering, atomicity.
BEGIN;
SELECT plan(37);

SELECT has_function('private', 'ingest_batch', ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb']);
SELECT function_returns('private', 'ingest_batch', ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb'], 'jsonb');
SELECT is_definer('private', 'ingest_batch', ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb']);
SELECT has_function('private', 'resolve_api_key', ARRAY['text']);
SELECT function_returns('private', 'resolve_api_key', ARRAY['text'], 'setof record');
SELECT has_function('private', 'revoke_api_key', ARRAY['uuid', 'uuid']);
SELECT function_returns('private', 'revoke_api_key', ARRAY['uuid', 'uuid'], 'boolean');
SELECT has_function('private', 'request_project_id', '{}'::name[]);

-- Two projects, A and B.
INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');

-- Example A of the contract, as the core prepares it (project stamped, parents first) —
-- but with the spans in child-first order, which the database must accept too.
CREATE TEMP TABLE batch AS SELECT
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","project_id":"aaaaaaaa-0000-4000-8000-000000000000","created_at":"2025-03-01T12:00:00.120004Z","ended_at":"2025-03-01T12:00:02.500731Z","metadata":{"source":"cli"}}]'::jsonb AS sessions,
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","project_id":"aaaaaaaa-0000-4000-8000-000000000000","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"research-agent","started_at":"2025-03-01T12:00:00.120210Z","ended_at":"2025-03-01T12:00:02.498113Z","status":"ok","metadata":{"cost_usd":0.00125}}]'::jsonb AS runs,
  '[{"id":"a1000000-0000-4000-8000-000000000002","project_id":"aaaaaaaa-0000-4000-8000-000000000000","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","parent_span_id":"a1000000-0000-4000-8000-000000000001","kind":"model","name":"responses.create","started_at":"2025-03-01T12:00:00.140000Z","ended_at":"2025-03-01T12:00:01.900000Z","status":"ok","attributes":{"model":"gpt-4o"}},
    {"id":"a1000000-0000-4000-8000-000000000001","project_id":"aaaaaaaa-0000-4000-8000-000000000000","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","kind":"agent","name":"iteration-1","started_at":"2025-03-01T12:00:00.130000Z","status":"running","iteration":1}]'::jsonb AS spans,
  '[{"id":"e1000000-0000-4000-8000-000000000001","project_id":"aaaaaaaa-0000-4000-8000-000000000000","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","type":"user_input","created_at":"2025-03-01T12:00:00.125000Z","content":"Find the docs.","attributes":{}},
    {"id":"e1000000-0000-4000-8000-000000000002","project_id":"aaaaaaaa-0000-4000-8000-000000000000","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-000000000002","type":"final_response","created_at":"2025-03-01T12:00:02.450000Z"}]'::jsonb AS events;

CREATE FUNCTION pg_temp.ingest(p uuid, s jsonb, r jsonb, sp jsonb, e jsonb) RETURNS jsonb
LANGUAGE sql AS $$ SELECT private.ingest_batch(p, s, r, sp, e) $$;
CREATE FUNCTION pg_temp.snapshot() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws('|',
    (SELECT string_agg(to_jsonb(s)::text, ',' ORDER BY id) FROM private.sessions s),
    (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY id) FROM private.runs r),
    (SELECT string_agg(to_jsonb(s)::text, ',' ORDER BY id) FROM private.spans s),
    (SELECT string_agg(to_jsonb(e)::text, ',' ORDER BY id) FROM private.events e))
$$;

SELECT is(pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', sessions, runs, spans, events),
  '{"accepted": true, "counts": {"runs": 1, "spans": 2, "events": 2, "sessions": 1}}'::jsonb,
  'example batch accepted with counts; a child span listed before its parent is fine')
FROM batch;
CREATE TEMP TABLE first_state AS SELECT pg_temp.snapshot() AS s;
SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', sessions, runs, spans, events) FROM batch;
SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', sessions, runs, spans, events) FROM batch;
SELECT is(pg_temp.snapshot(), (SELECT s FROM first_state), 'the same batch three times gives the same rows');
SELECT is((SELECT count(*)::int FROM private.spans), 2, 'no duplicate spans');

-- Stored exactly.
SELECT is((SELECT row(name, status, ended_at, metadata)::text FROM private.runs),
  row('research-agent', 'ok', '2025-03-01T12:00:02.498113Z'::timestamptz, '{"cost_usd": 0.00125}'::jsonb)::text,
  'run stored exactly');
SELECT is((SELECT content FROM private.events WHERE id = 'e1000000-0000-4000-8000-000000000002'), 'null'::jsonb,
  'an event without content is stored with JSON null content');
SELECT is((SELECT attributes FROM private.spans WHERE id = 'a1000000-0000-4000-8000-000000000001'), '{}'::jsonb,
  'absent attributes are stored as {}');
SELECT is((SELECT iteration FROM private.spans WHERE id = 'a1000000-0000-4000-8000-000000000001'), 1, 'iteration');

-- A later batch: the agent span finishes; the run is re-sent stale (running, no ended_at,
-- no metadata); new metadata keys merge.
SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"renamed","started_at":"2030-01-01T00:00:00Z","status":"running"}]',
  '[{"id":"a1000000-0000-4000-8000-000000000001","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","kind":"agent","name":"iteration-1","started_at":"2025-03-01T12:00:00.130000Z","ended_at":"2025-03-01T12:00:02.400000Z","status":"ok","attributes":{"latency_ms":2270}}]',
  '[{"id":"e1000000-0000-4000-8000-000000000001","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","type":"user_input","created_at":"2025-03-01T12:00:00.125000Z","content":"edited"}]');
SELECT is((SELECT status FROM private.spans WHERE id = 'a1000000-0000-4000-8000-000000000001'), 'ok',
  'a later batch moves a span from running to ok');
SELECT is((SELECT ended_at FROM private.spans WHERE id = 'a1000000-0000-4000-8000-000000000001'),
  '2025-03-01T12:00:02.4Z'::timestamptz, 'and sets its ended_at');
SELECT is((SELECT attributes FROM private.spans WHERE id = 'a1000000-0000-4000-8000-000000000001'),
  '{"latency_ms": 2270}'::jsonb, 'attributes merge');
SELECT is((SELECT status FROM private.runs), 'ok', 'a stale running re-send does not move a run back');
SELECT is((SELECT ended_at FROM private.runs), '2025-03-01T12:00:02.498113Z'::timestamptz, 'ended_at never goes back to null');
SELECT is((SELECT metadata FROM private.runs), '{"cost_usd": 0.00125}'::jsonb, 'omitted metadata keeps the stored value');
SELECT is((SELECT row(name, started_at)::text FROM private.runs),
  row('research-agent', '2025-03-01T12:00:00.120210Z'::timestamptz)::text, 'name and started_at keep their first value');
SELECT is((SELECT content FROM private.events WHERE id = 'e1000000-0000-4000-8000-000000000001'), '"edited"'::jsonb,
  'event content is replaced');
SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"x","started_at":"2025-03-01T12:00:00Z","status":"error","error":{"type":"E"},"metadata":{"latency_ms":5}}]',
  '[]', '[]');
SELECT is((SELECT row(status, error, metadata)::text FROM private.runs),
  row('error', '{"type": "E"}'::jsonb, '{"cost_usd": 0.00125, "latency_ms": 5}'::jsonb)::text,
  'ok → error is allowed; error is set; metadata merges');

-- Ownership: B may not touch A's rows, or claim to be A.
CREATE TEMP TABLE before_b AS SELECT pg_temp.snapshot() AS s;
SELECT throws_ok($$SELECT private.ingest_batch('bbbbbbbb-0000-4000-8000-000000000000',
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z","metadata":{"x":1}}]')$$,
  'P0001', 'session 0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11 belongs to a different project',
  'a key of project B cannot overwrite A''s session');
SELECT throws_ok($$SELECT private.ingest_batch('bbbbbbbb-0000-4000-8000-000000000000', '[]', '[]',
  '[{"id":"a1000000-0000-4000-8000-000000000002","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","kind":"tool","name":"x","started_at":"2025-03-01T12:00:00Z","status":"ok"}]')$$,
  'P0001', 'span a1000000-0000-4000-8000-000000000002 belongs to a different project', 'nor A''s span');
SELECT throws_ok($$SELECT private.ingest_batch('bbbbbbbb-0000-4000-8000-000000000000', '[]', '[]', '[]',
  '[{"id":"e2000000-0000-4000-8000-000000000001","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","type":"custom","created_at":"2025-03-01T12:00:00Z","content":1}]')$$,
  'P0001', 'run 5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 belongs to a different project',
  'nor write an event into A''s run');
SELECT throws_ok($$SELECT private.ingest_batch('bbbbbbbb-0000-4000-8000-000000000000',
  '[{"id":"0c000000-0000-4000-8000-000000000001","project_id":"aaaaaaaa-0000-4000-8000-000000000000","created_at":"2025-03-01T12:00:00Z"}]')$$,
  'P0001', 'session 0c000000-0000-4000-8000-000000000001 belongs to a different project',
  'a record claiming another project is refused');
SELECT is(pg_temp.snapshot(), (SELECT s FROM before_b), 'and nothing changed');

-- References.
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"6d000000-0000-4000-8000-000000000001","session_id":"0d000000-0000-4000-8000-000000000009","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]')$$,
  'P0001', 'session 0d000000-0000-4000-8000-000000000009 not found for project', 'a run needs its session');
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  '[{"id":"a1000000-0000-4000-8000-000000000009","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","parent_span_id":"a1000000-0000-4000-8000-0000000000ff","kind":"tool","name":"x","started_at":"2025-03-01T12:00:00Z","status":"ok"}]')$$,
  'P0001', 'parent span a1000000-0000-4000-8000-0000000000ff not found for project', 'a span needs its parent');
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
  '[{"id":"e1000000-0000-4000-8000-000000000009","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-0000000000ff","type":"custom","created_at":"2025-03-01T12:00:00Z"}]')$$,
  'P0001', 'span a1000000-0000-4000-8000-0000000000ff not found for project', 'an event needs its span');
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"6d000000-0000-4000-8000-000000000002","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"other","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[{"id":"a1000000-0000-4000-8000-000000000010","run_id":"6d000000-0000-4000-8000-000000000002","parent_span_id":"a1000000-0000-4000-8000-000000000001","kind":"tool","name":"x","started_at":"2025-03-01T12:00:00Z","status":"ok"}]')$$,
  'P0001', 'parent span a1000000-0000-4000-8000-000000000001 of span a1000000-0000-4000-8000-000000000010 belongs to a different run',
  'a span''s parent must be of the same run');
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  '[{"id":"a1000000-0000-4000-8000-000000000021","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","parent_span_id":"a1000000-0000-4000-8000-000000000022","kind":"tool","name":"x","started_at":"2025-03-01T12:00:00Z","status":"ok"},
    {"id":"a1000000-0000-4000-8000-000000000022","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","parent_span_id":"a1000000-0000-4000-8000-000000000021","kind":"tool","name":"y","started_at":"2025-03-01T12:00:00Z","status":"ok"}]')$$,
  'P0001', NULL, 'a parent cycle inside one batch is refused');
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', '"x"')$$,
  'P0001', 'events must be a JSON array', 'lists must be arrays');

-- Atomicity: one bad record, nothing written (the session of the batch is new and valid).
CREATE TEMP TABLE before_bad AS SELECT pg_temp.snapshot() AS s;
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0e000000-0000-4000-8000-000000000001","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"6e000000-0000-4000-8000-000000000001","session_id":"0e000000-0000-4000-8000-000000000001","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]',
  '[{"id":"e3000000-0000-4000-8000-000000000001","run_id":"6e000000-0000-4000-8000-0000000000ff","type":"custom","created_at":"2025-03-01T12:00:00Z"}]')$$,
  'P0001', 'run 6e000000-0000-4000-8000-0000000000ff not found for project', 'the batch is refused');
SELECT is(pg_temp.snapshot(), (SELECT s FROM before_bad), 'and none of its records was written');

SELECT * FROM finish();
ROLLBACK;
