-- The endpoint's one statement with its warnings (033) and the record ceiling (034): the
-- eight-argument ingest_prepared_batch writes the batch and its warning rows together, a
-- refused batch leaves neither, and an ingest call takes up to 100,000 records.
BEGIN;
SELECT plan(9);

SELECT function_returns('private', 'ingest_prepared_batch',
  ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb'], 'void');
SELECT ok(has_function_privilege('service_role',
  'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'service_role may call it');
SELECT ok(NOT has_function_privilege('authenticated',
  'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'), 'authenticated cannot');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
  WHERE p.oid = 'private.ingest_prepared_batch(uuid, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb, jsonb)'::regprocedure
    AND a.grantee = 0), 'PUBLIC holds no EXECUTE');
SELECT is(private.max_batch_records(), 100000, 'an ingest call takes up to 100,000 records');

INSERT INTO private.projects (id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'A');

SET LOCAL ROLE service_role;
SELECT lives_ok($$SELECT private.ingest_prepared_batch('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r\ufffd","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]', '[]', '[]', '[]',
  '[{"kind":"run","record_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","path":"runs[0].name","code":"nul_character","message":"m"}]')$$,
  'a batch with a repaired record is written');
SELECT is((SELECT array_agg(code || ' ' || record_id) FROM private.ingest_warnings),
  ARRAY['nul_character 5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6'], 'its warning row is written in the same call');

-- A refused batch (its run names a session that does not exist): neither records nor warnings.
SELECT throws_ok($$SELECT private.ingest_prepared_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"6d000000-0000-4000-8000-000000000009","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a99","name":"x","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]', '[]', '[]', '[]',
  '[{"kind":"run","record_id":"6d000000-0000-4000-8000-000000000009","path":"runs[0].name","code":"nul_character","message":"m"}]')$$,
  'P0001', 'session 0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a99 not found for project', 'a refused batch raises');
SELECT is((SELECT count(*)::int FROM private.ingest_warnings), 1, 'and leaves no warning row');

SELECT * FROM finish();
ROLLBACK;
