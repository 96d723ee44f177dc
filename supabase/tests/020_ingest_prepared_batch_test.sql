-- The one-statement ingest wrapper (migration 030): records, prompt links and scores in one
-- call, all or nothing; the error texts of the functions it calls come through unchanged;
-- privileges as every ingest function.
BEGIN;
SELECT plan(14);

SELECT function_returns('private', 'ingest_prepared_batch', ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb'],
  'void');
SELECT ok(has_function_privilege('service_role',
  'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'service_role may call it');
SELECT ok(NOT has_function_privilege('anon',
  'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'anon cannot');
SELECT ok(NOT has_function_privilege('authenticated',
  'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'authenticated cannot');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
  WHERE p.oid = 'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)'::regprocedure
    AND a.grantee = 0), 'PUBLIC holds no EXECUTE');
SELECT ok(NOT (SELECT prosecdef FROM pg_proc
  WHERE oid = 'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)'::regprocedure),
  'SECURITY INVOKER: it grants nothing by itself');

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');

SET LOCAL ROLE service_role;
-- A score on a run of the same batch: the records are written before the scores.
SELECT lives_ok($$SELECT private.ingest_prepared_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[{"id":"a1000000-0000-4000-8000-000000000002","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","kind":"model","name":"m","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]', '[]',
  '[{"id":"5c000000-0000-4000-8000-000000000001","trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-000000000002","name":"quality","value":0.5,"data_type":"numeric","source":"api","created_at":"2025-03-01T12:05:00Z"}]')$$,
  'records and a score on them, in one call');
SELECT is((SELECT row((SELECT count(*) FROM private.sessions), (SELECT count(*) FROM private.runs),
  (SELECT count(*) FROM private.spans), (SELECT count(*) FROM private.scores))::text), '(1,1,1,1)', 'all four are stored');

-- A refused score refuses the whole batch: the new run of the same call is not kept.
SELECT throws_ok($$SELECT private.ingest_prepared_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r2","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]', '[]', '[]',
  '[{"trace_id":"7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","name":"x","value":1}]')$$,
  'P0001', 'trace 7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 not found for project', 'the scores'' error text comes through');
SELECT is((SELECT count(*)::int FROM private.runs WHERE id = '6d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6'), 0,
  'and the batch''s run was not written (one statement, one transaction)');

-- The records' error texts come through too (the edge maps them to 400).
SELECT throws_ok($$SELECT private.ingest_prepared_batch('bbbbbbbb-0000-4000-8000-000000000000', '[]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]', '[]', '[]', '[]')$$,
  'P0001', 'run 5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6 belongs to a different project', 'ownership is refused');
SELECT throws_ok($$SELECT private.ingest_prepared_batch('cccccccc-0000-4000-8000-000000000000',
  '[]', '[]', '[]', '[]', '[]', '[]')$$, 'P0001', 'project cccccccc-0000-4000-8000-000000000000 not found',
  'an unknown project is refused');

-- An empty score list skips the scores function; a NULL one is refused by it.
SELECT lives_ok($$SELECT private.ingest_prepared_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[]', '[]', '[]', '[]', '[]', '[]')$$, 'an empty batch is a no-op');
SELECT throws_ok($$SELECT private.ingest_prepared_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[]', '[]', '[]', '[]', '[]', NULL)$$, 'P0001', 'scores must be a JSON array', 'NULL scores are refused');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
