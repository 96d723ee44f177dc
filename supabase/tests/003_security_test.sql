-- Grants, row level security and API keys (database.md §7 with our decisions).
BEGIN;
SELECT plan(29);

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');
INSERT INTO private.sessions (id, project_id, created_at) VALUES
  ('0a000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', now()),
  ('0b000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000000', now());
INSERT INTO private.api_keys (id, project_id, name, key_hash) VALUES
  ('ca000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000', 'Project key',
   '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08');

-- Schema usage and table privileges.
SELECT ok(NOT has_schema_privilege('anon', 'private', 'USAGE'), 'anon has no usage on private');
SELECT ok(NOT has_schema_privilege('authenticated', 'private', 'USAGE'), 'authenticated has no usage on private');
SELECT ok(has_schema_privilege('service_role', 'private', 'USAGE'), 'service_role uses private');
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants
  WHERE table_schema = 'private' AND grantee IN ('anon', 'authenticated', 'PUBLIC')), 0,
  'anon, authenticated and PUBLIC hold no table privilege in private');
SELECT table_privs_are('private', 'sessions', 'service_role', ARRAY['SELECT', 'INSERT', 'UPDATE'],
  'service_role: select, insert, update on sessions, no delete');
SELECT table_privs_are('private', 'events', 'service_role', ARRAY['SELECT'],
  'service_role: select only on events (028: written only through ingest_batch)');

-- Function privileges: PUBLIC executes nothing private.
SELECT is((SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
  WHERE p.pronamespace = 'private'::regnamespace AND has_function_privilege('public', p.oid, 'EXECUTE')
    AND EXISTS (SELECT 1 FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a WHERE a.grantee = 0)),
  NULL, 'PUBLIC holds EXECUTE on no function in private');
SELECT ok(has_function_privilege('service_role', 'private.ingest_batch(uuid, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'),
  'service_role may ingest');
SELECT ok(NOT has_function_privilege('anon', 'private.ingest_batch(uuid, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'),
  'anon may not ingest');
SELECT ok(NOT has_function_privilege('authenticated', 'private.resolve_api_key(text)', 'EXECUTE'),
  'authenticated may not resolve keys');
SELECT is((SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
  WHERE p.pronamespace = 'private'::regnamespace AND p.prosecdef
    AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')),
  NULL, 'every SECURITY DEFINER function pins its search_path');

-- As the Data API roles, nothing private is reachable.
SET LOCAL ROLE anon;
SELECT throws_ok('SELECT * FROM private.sessions', '42501', NULL, 'anon cannot read sessions');
SELECT throws_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000')$$, '42501', NULL,
  'anon cannot call ingest_batch');
RESET ROLE;
SET LOCAL ROLE authenticated;
SELECT throws_ok('SELECT * FROM private.api_keys', '42501', NULL, 'authenticated cannot read api keys');
SELECT throws_ok($$SELECT * FROM private.resolve_api_key('x')$$, '42501', NULL,
  'authenticated cannot call resolve_api_key');
RESET ROLE;

-- The policies: were access ever granted, authenticated would see only its project.
GRANT USAGE ON SCHEMA private TO authenticated;
GRANT SELECT, INSERT ON private.sessions TO authenticated;
SELECT policies_are('private', 'sessions', ARRAY['sessions_authenticated_by_project']);
SELECT ok((SELECT bool_and(relrowsecurity) FROM pg_class WHERE oid IN ('private.projects'::regclass,
  'private.api_keys'::regclass, 'private.sessions'::regclass, 'private.runs'::regclass, 'private.spans'::regclass,
  'private.events'::regclass)), 'row level security is on for the six trace tables');
SET LOCAL ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"project_id":"aaaaaaaa-0000-4000-8000-000000000000"}', true);
SELECT results_eq('SELECT id FROM private.sessions', $$VALUES ('0a000000-0000-4000-8000-000000000001'::uuid)$$,
  'a JWT of project A sees only A''s sessions');
SELECT throws_ok($$INSERT INTO private.sessions (id, project_id, created_at)
  VALUES (gen_random_uuid(), 'bbbbbbbb-0000-4000-8000-000000000000', now())$$, '42501', NULL,
  'and cannot write into B');
SELECT set_config('request.jwt.claims', '{"app_metadata":{"project_id":"bbbbbbbb-0000-4000-8000-000000000000"}}', true);
SELECT results_eq('SELECT id FROM private.sessions', $$VALUES ('0b000000-0000-4000-8000-000000000001'::uuid)$$,
  'app_metadata.project_id works too');
SELECT set_config('request.jwt.claims', 'not json', true);
SELECT is_empty('SELECT id FROM private.sessions', 'claims that are not JSON see nothing, without an error');
SELECT set_config('request.jwt.claims', '{"project_id":"nope"}', true);
SELECT is_empty('SELECT id FROM private.sessions', 'a project id that is not a UUID sees nothing');
RESET ROLE;
REVOKE ALL ON private.sessions FROM authenticated;
REVOKE USAGE ON SCHEMA private FROM authenticated;

-- Keys: resolve by hash, only active keys; revoke by id and project.
SELECT results_eq($$SELECT key_id, project_id FROM private.resolve_api_key(
  '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')$$,
  $$VALUES ('ca000000-0000-4000-8000-000000000001'::uuid, 'aaaaaaaa-0000-4000-8000-000000000000'::uuid)$$,
  'an active key resolves to its project');
SELECT is_empty($$SELECT * FROM private.resolve_api_key('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')$$,
  'an unknown hash resolves to nothing');
SELECT is(private.revoke_api_key('ca000000-0000-4000-8000-000000000001', 'bbbbbbbb-0000-4000-8000-000000000000'), false,
  'another project cannot revoke A''s key');
SELECT is(private.revoke_api_key('ca000000-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000000'), true,
  'the owner revokes it');
SELECT is_empty($$SELECT * FROM private.resolve_api_key('9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')$$,
  'a revoked key resolves to nothing at once');
SELECT lives_ok($$INSERT INTO private.api_keys (id, project_id, name, key_hash) VALUES (gen_random_uuid(),
  'aaaaaaaa-0000-4000-8000-000000000000', 'Project key', repeat('a', 64))$$,
  'after revocation the project may have a new active key');
SELECT throws_ok($$INSERT INTO private.api_keys (id, project_id, name, key_hash) VALUES (gen_random_uuid(),
  'aaaaaaaa-0000-4000-8000-000000000000', 'Project key', repeat('b', 64))$$, '23505', NULL,
  'but never two active keys');

SELECT * FROM finish();
ROLLBACK;
