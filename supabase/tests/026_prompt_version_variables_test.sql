-- dashboard_create_prompt_version (032): a non-empty p_variables is checked and stored; an
-- empty or absent one is derived from the content; the content hash is unchanged.
BEGIN;
SELECT plan(12);

INSERT INTO private.projects (id, name) VALUES ('aaaaaaaa-0000-4000-8000-000000000000', 'A');
SET LOCAL ROLE service_role;
CREATE TEMP TABLE p AS SELECT * FROM public.dashboard_create_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'S', 's');

CREATE TEMP TABLE v1 AS SELECT * FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'Summarize {{ doc }}.', NULL, NULL, NULL,
  '[{"name":"doc","type":"string","required":true,"default":null,"description":"the text"},
    {"name":"tone","type":"enum","required":false,"default":"neutral"}]');
SELECT is((SELECT variables FROM v1),
  '[{"name":"doc","type":"string","required":true,"default":null,"description":"the text"},
    {"name":"tone","type":"enum","required":false,"default":"neutral"}]'::jsonb,
  'a non-empty list from the dashboard is stored as sent');
SELECT is((SELECT content_hash FROM v1), 'sha256:' || encode(sha256(convert_to('Summarize {{ doc }}.', 'UTF8')), 'hex'),
  'the content hash rules are unchanged');
SELECT is((SELECT variables FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x {{ a }}', NULL, NULL, NULL, '[{"name":"b"}]')),
  '[{"name":"b","type":"string","required":true,"default":null}]'::jsonb, 'omitted keys get their defaults');
SELECT is((SELECT variables FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x {{ a }}')), '[{"name":"a","type":"string","required":true,"default":null}]'::jsonb,
  'absent: derived from the content');
SELECT is((SELECT variables FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x {{ a }}', NULL, NULL, NULL, '[]')), '[{"name":"a","type":"string","required":true,"default":null}]'::jsonb,
  'empty: derived from the content');
SELECT throws_ok($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x', NULL, NULL, NULL, '[{"type":"string"}]')$$, 'P0001', 'variables[0].name must be a non-blank string',
  'a name is required');
SELECT throws_ok($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x', NULL, NULL, NULL, '[{"name":"a"},{"name":"b","required":"yes"}]')$$, 'P0001',
  'variables[1].required must be a boolean', 'required must be a boolean');
SELECT throws_ok($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x', NULL, NULL, NULL, '[{"name":"a","type":3}]')$$, 'P0001',
  'variables[0].type must be a non-blank string', 'type must be a string');
SELECT throws_ok($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x', NULL, NULL, NULL, '[{"name":"a"},{"name":"a"}]')$$, 'P0001',
  'variables[1].name a is listed twice', 'names are unique');
SELECT throws_ok($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x', NULL, NULL, NULL, '[{"name":"a","labl":"x"}]')$$, 'P0001',
  'variables[0].labl is not allowed (expected name, type, required, default, description)', 'unknown keys are refused');
SELECT throws_ok($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'x', NULL, NULL, NULL, '{"name":"a"}')$$, 'P0001', 'variables must be a JSON array',
  'the list must be an array');
SELECT is((SELECT count(*)::int FROM private.prompt_versions WHERE prompt_id = (SELECT id FROM p)), 4,
  'refused saves leave no version');

SELECT * FROM finish();
ROLLBACK;
