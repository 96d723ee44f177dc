-- public.create_or_rotate_project_api_key: creation, rotation, privileges.
BEGIN;
SELECT plan(13);

SELECT has_function('public', 'create_or_rotate_project_api_key', ARRAY['uuid', 'text', 'uuid', 'text']);
SELECT is((SELECT pg_get_function_result('public.create_or_rotate_project_api_key(uuid, text, uuid, text)'::regprocedure)),
  'TABLE(result_project_id uuid, result_created_at timestamp with time zone)', 'returns result_project_id, result_created_at');
SELECT ok(has_function_privilege('service_role', 'public.create_or_rotate_project_api_key(uuid, text, uuid, text)', 'EXECUTE'),
  'service_role may call it');
SELECT ok(NOT has_function_privilege('anon', 'public.create_or_rotate_project_api_key(uuid, text, uuid, text)', 'EXECUTE'),
  'anon may not');
SELECT ok(NOT has_function_privilege('authenticated', 'public.create_or_rotate_project_api_key(uuid, text, uuid, text)', 'EXECUTE'),
  'authenticated may not');

SET LOCAL ROLE service_role;
SELECT is((SELECT result_project_id FROM public.create_or_rotate_project_api_key(
  'aaaaaaaa-0000-4000-8000-000000000000', '  My Agent ', 'ca000000-0000-4000-8000-000000000001', repeat('1', 64))),
  'aaaaaaaa-0000-4000-8000-000000000000'::uuid, 'creates the project and its first key, as service_role');
SELECT is((SELECT name FROM private.projects WHERE id = 'aaaaaaaa-0000-4000-8000-000000000000'), 'My Agent', 'name trimmed');
SELECT is((SELECT project_id FROM private.resolve_api_key(repeat('1', 64))), 'aaaaaaaa-0000-4000-8000-000000000000'::uuid,
  'the key resolves');
SELECT lives_ok($$SELECT public.create_or_rotate_project_api_key('aaaaaaaa-0000-4000-8000-000000000000', 'My Agent',
  'ca000000-0000-4000-8000-000000000001', repeat('1', 64))$$, 'retrying the same creation is harmless');
SELECT public.create_or_rotate_project_api_key('aaaaaaaa-0000-4000-8000-000000000000', 'Renamed',
  'ca000000-0000-4000-8000-000000000002', repeat('2', 64));
SELECT is_empty($$SELECT * FROM private.resolve_api_key(repeat('1', 64))$$, 'rotation: the old key stops resolving at once');
SELECT is((SELECT project_id FROM private.resolve_api_key(repeat('2', 64))), 'aaaaaaaa-0000-4000-8000-000000000000'::uuid,
  'the new key resolves');
SELECT is((SELECT count(*)::int FROM private.api_keys WHERE project_id = 'aaaaaaaa-0000-4000-8000-000000000000'
  AND revoked_at IS NOT NULL), 1, 'the old key is kept, marked revoked');
SELECT throws_ok($$SELECT public.create_or_rotate_project_api_key('aaaaaaaa-0000-4000-8000-000000000000', ' ',
  gen_random_uuid(), repeat('3', 64))$$, 'P0001', 'project name must not be empty', 'a blank name is refused');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
