-- Prompts: tables, versions (numbering, computed variables and hash, immutability),
-- labels, resolution, links from spans, and ingest_batch_with_prompt_links.
BEGIN;
SELECT plan(41);

SELECT has_table('private', 'prompts', 'prompts');
SELECT has_table('private', 'prompt_versions', 'prompt_versions');
SELECT has_table('private', 'prompt_label_history', 'prompt_label_history');
SELECT has_table('private', 'prompt_trace_links', 'prompt_trace_links');
SELECT col_type_is('private', 'prompt_versions', 'temperature', 'numeric(4,3)', 'temperature is numeric(4,3)');
SELECT has_function('private', 'ingest_batch_with_prompt_links', ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb']);
SELECT is_definer('private', 'ingest_batch_with_prompt_links', ARRAY['uuid', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'jsonb']);
SELECT has_function('private', 'link_trace_prompt_links', ARRAY['uuid', 'jsonb']);
SELECT function_returns('public', 'dashboard_create_prompt_version',
  ARRAY['uuid', 'uuid', 'text', 'text', 'numeric', 'integer', 'jsonb', 'uuid', 'text', 'text'], 'private.prompt_versions');
SELECT has_function('public', 'dashboard_resolve_prompt', ARRAY['uuid', 'text', 'text', 'integer']);
SELECT ok(NOT has_function_privilege('anon', 'public.dashboard_resolve_prompt(uuid, text, text, integer)', 'EXECUTE'),
  'anon cannot resolve prompts');
SELECT ok(has_function_privilege('service_role', 'public.dashboard_set_prompt_label(uuid, uuid, text, uuid, text, text)', 'EXECUTE'),
  'service_role can set labels');
SELECT ok(NOT has_function_privilege('authenticated', 'private.ingest_batch_with_prompt_links(uuid, jsonb, jsonb, jsonb, jsonb, jsonb)', 'EXECUTE'),
  'authenticated cannot ingest');

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');

SET LOCAL ROLE service_role;
CREATE TEMP TABLE p AS SELECT * FROM public.dashboard_create_prompt('aaaaaaaa-0000-4000-8000-000000000000',
  'Summarizer', 'summarizer', 'sums things up', 'me');
SELECT throws_ok($$SELECT public.dashboard_create_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'x', 'summarizer')$$,
  '23505', NULL, 'slugs are unique per project');
SELECT throws_ok($$SELECT public.dashboard_create_prompt('aaaaaaaa-0000-4000-8000-000000000000', '  ', 'blank')$$,
  '23514', NULL, 'names cannot be blank');
CREATE TEMP TABLE v1 AS SELECT * FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'Summarize {{ doc }} in {max_words} words.', 'gpt-4o-mini', 0.2, 256,
  '[]');
SELECT is((SELECT version_number FROM v1), 1, 'the first version is number 1');
SELECT is((SELECT variables FROM v1),
  '[{"name":"doc","type":"string","required":true,"default":null},{"name":"max_words","type":"string","required":true,"default":null}]'::jsonb,
  'variables are computed from the content when the caller sends none (032: a sent list is stored)');
SELECT is((SELECT content_hash FROM v1),
  'sha256:' || encode(sha256(convert_to('Summarize {{ doc }} in {max_words} words.', 'UTF8')), 'hex'),
  'content_hash is sha256: + hex');
SELECT is(private.prompt_content_hash('test'), 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  'content_hash matches a known SHA-256 vector');
CREATE TEMP TABLE v2 AS SELECT * FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'Summarize {{doc}} briefly.', p_parent_version_id => (SELECT id FROM v1), p_change_note => 'shorter');
SELECT is((SELECT version_number FROM v2), 2, 'the next version is number 2');
SELECT is((SELECT current_version_id FROM private.prompts WHERE id = (SELECT id FROM p)), (SELECT id FROM v2),
  'the prompt points at its newest version');
SELECT throws_ok(format($$SELECT public.dashboard_create_prompt_version('bbbbbbbb-0000-4000-8000-000000000000', %L, 'x')$$,
  (SELECT id FROM p)), 'P0001', format('prompt %s not found for project', (SELECT id FROM p)),
  'another project cannot add versions');
SELECT throws_ok(format($$SELECT public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000', %L, 'x',
  p_parent_version_id => gen_random_uuid())$$, (SELECT id FROM p)), 'P0001', NULL,
  'a parent version must be a version of the same prompt');
SELECT throws_ok(format($$UPDATE private.prompt_versions SET content = 'changed' WHERE id = %L$$, (SELECT id FROM v1)),
  'P0001', 'prompt versions are immutable: save a new version instead', 'versions are immutable');

-- Labels.
SELECT throws_ok(format($$SELECT public.dashboard_set_prompt_label('aaaaaaaa-0000-4000-8000-000000000000', %L, 'prod', %L)$$,
  (SELECT id FROM p), (SELECT id FROM v1)), 'P0001', 'change_note is required for prod labels', 'prod needs a change note');
SELECT throws_ok(format($$SELECT public.dashboard_set_prompt_label('aaaaaaaa-0000-4000-8000-000000000000', %L, ' ', %L)$$,
  (SELECT id FROM p), (SELECT id FROM v1)), 'P0001', 'label is required', 'a label is required');
SELECT lives_ok(format($$SELECT public.dashboard_set_prompt_label('aaaaaaaa-0000-4000-8000-000000000000', %L, 'prod', %L, 'ship it', 'me')$$,
  (SELECT id FROM p), (SELECT id FROM v1)), 'prod with a change note');
SELECT lives_ok(format($$SELECT public.dashboard_set_prompt_label('aaaaaaaa-0000-4000-8000-000000000000', %L, 'staging', %L)$$,
  (SELECT id FROM p), (SELECT id FROM v2)), 'other labels need no note');
SELECT is((SELECT count(*)::int FROM private.prompt_label_history WHERE prompt_id = (SELECT id FROM p)), 2, 'history kept');

-- Resolution.
SELECT is((SELECT version_number FROM public.dashboard_resolve_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'summarizer')),
  1, 'resolve by the default label prod');
SELECT is((SELECT version_number FROM public.dashboard_resolve_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'summarizer', 'staging')),
  2, 'resolve by another label');
SELECT is((SELECT version_number FROM public.dashboard_resolve_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'summarizer', 'staging', 1)),
  1, 'a version number wins over the label');
SELECT is((SELECT version_number FROM public.dashboard_resolve_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'summarizer', 'prod', NULL)),
  1, 'a NULL version means the label');
SELECT is_empty($$SELECT * FROM public.dashboard_resolve_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'Summarizer')$$,
  'resolution matches the slug, not the name');
SELECT is_empty($$SELECT * FROM public.dashboard_resolve_prompt('bbbbbbbb-0000-4000-8000-000000000000', 'summarizer')$$,
  'another project resolves nothing');
RESET ROLE;

-- Links, through the ingest RPC, as the edge function calls it (as owner).
SELECT is(private.ingest_batch_with_prompt_links('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","session_id":"0b6f3c1e-8a57-4d3b-9a51-4f1f6d0c2a11","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[{"id":"a1000000-0000-4000-8000-000000000002","run_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","kind":"model","name":"m","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]',
  jsonb_build_array(jsonb_build_object('trace_id', '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
    'span_id', 'a1000000-0000-4000-8000-000000000002', 'prompt_version_id', (SELECT id FROM v1),
    'variable_values', '{"doc":"x"}'::jsonb),
    jsonb_build_object('trace_id', '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6',
    'span_id', 'a1000000-0000-4000-8000-000000000002', 'prompt_version_id', (SELECT id FROM v1),
    'variable_values', '{"doc":"later"}'::jsonb))) -> 'prompt_links', '{"accepted": true, "counts": {"prompt_links": 2}}'::jsonb,
  'records and prompt links in one call');
SELECT is((SELECT variable_values FROM private.prompt_trace_links), '{"doc": "later"}'::jsonb,
  'a pair sent twice keeps the later values');
SELECT throws_ok(format($$SELECT private.link_trace_prompt_links('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"trace_id":"6d000000-0000-4000-8000-000000000001","span_id":"a1000000-0000-4000-8000-000000000002","prompt_version_id":"%s"}]')$$,
  (SELECT id FROM v1)), 'P0001',
  'span a1000000-0000-4000-8000-000000000002 is not part of trace 6d000000-0000-4000-8000-000000000001',
  'a link whose span is not in its trace is refused');
SELECT throws_ok($$SELECT private.link_trace_prompt_links('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-000000000002","prompt_version_id":"c0ffee00-1111-4222-8333-444455556666"}]')$$,
  'P0001', 'prompt version c0ffee00-1111-4222-8333-444455556666 not found for project', 'an unknown version is refused');
SELECT throws_ok(format($$SELECT private.ingest_batch_with_prompt_links('bbbbbbbb-0000-4000-8000-000000000000', '[]', '[]', '[]', '[]',
  '[{"trace_id":"5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6","span_id":"a1000000-0000-4000-8000-000000000002","prompt_version_id":"%s"}]')$$,
  (SELECT id FROM v1)), 'P0001', 'span a1000000-0000-4000-8000-000000000002 not found for project',
  'another project cannot link A''s spans');
SELECT is((SELECT count(*)::int FROM public.dashboard_list_trace_prompt_links('aaaaaaaa-0000-4000-8000-000000000000',
  '5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6')), 1, 'the dashboard lists the trace''s links');

SELECT * FROM finish();
ROLLBACK;
