-- The write path of 027/028: every rule whose SQL moved, and every integrity rule that a
-- foreign key dropped in 028 used to give (the writer checks it now, and nobody else can
-- write the hot tables). Concurrent ingests of the same ids are in scripts/test-db.sh;
-- the plans on tables of millions of rows are checked by `deno task bench:db`.
BEGIN;
SELECT plan(36);

INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');

CREATE FUNCTION pg_temp.ingest(p text, s text, r text, sp text, e text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT private.ingest_batch(p::uuid, s::jsonb, r::jsonb, sp::jsonb, e::jsonb) $$;
-- A span of run R: id, parent (or null).
CREATE FUNCTION pg_temp.span(id text, parent text, run text DEFAULT '5d000000-0000-4000-8000-00000000000a') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', id, 'run_id', run, 'parent_span_id', parent, 'kind', 'tool', 'name', 'x',
    'started_at', '2025-03-01T12:00:00Z', 'status', 'ok')
$$;
CREATE FUNCTION pg_temp.sid(n int) RETURNS text LANGUAGE sql AS $$ SELECT 'a2000000-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.snapshot() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws('|',
    (SELECT string_agg(to_jsonb(s)::text, ',' ORDER BY id) FROM private.sessions s),
    (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY id) FROM private.runs r),
    (SELECT string_agg(to_jsonb(s)::text, ',' ORDER BY id) FROM private.spans s),
    (SELECT string_agg(to_jsonb(e)::text, ',' ORDER BY id) FROM private.events e))
$$;

-- A session and two runs per project.
SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000',
  '[{"id":"0a000000-0000-4000-8000-000000000001","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"5d000000-0000-4000-8000-00000000000a","session_id":"0a000000-0000-4000-8000-000000000001","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"},
    {"id":"5d000000-0000-4000-8000-00000000000b","session_id":"0a000000-0000-4000-8000-000000000001","name":"r2","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  '[]', '[]');
SELECT pg_temp.ingest('bbbbbbbb-0000-4000-8000-000000000000',
  '[{"id":"0b000000-0000-4000-8000-000000000001","created_at":"2025-03-01T12:00:00Z"}]',
  '[{"id":"5d000000-0000-4000-8000-0000000000bb","session_id":"0b000000-0000-4000-8000-000000000001","name":"r","started_at":"2025-03-01T12:00:00Z","status":"ok"}]',
  jsonb_build_array(pg_temp.span('b2000000-0000-4000-8000-000000000001', NULL, '5d000000-0000-4000-8000-0000000000bb'))::text,
  '[]');

------------------------------------------------------------------ only checking writers
SELECT table_privs_are('private', 'spans', 'service_role', ARRAY['SELECT'], 'service_role only reads spans');
SET LOCAL ROLE service_role;
SELECT throws_ok($$INSERT INTO private.spans (id, run_id, project_id, kind, name, started_at, status)
  VALUES (gen_random_uuid(), '5d000000-0000-4000-8000-00000000000a', 'aaaaaaaa-0000-4000-8000-000000000000', 'tool', 'x', now(), 'ok')$$,
  '42501', NULL, 'service_role cannot INSERT a span directly');
SELECT throws_ok($$UPDATE private.spans SET parent_span_id = id$$, '42501', NULL, 'service_role cannot UPDATE spans');
SELECT throws_ok($$INSERT INTO private.events (id, run_id, project_id, type, created_at, content)
  VALUES (gen_random_uuid(), '5d000000-0000-4000-8000-00000000000a', 'aaaaaaaa-0000-4000-8000-000000000000', 'custom', now(), '1')$$,
  '42501', NULL, 'service_role cannot INSERT an event directly');
SELECT throws_ok($$UPDATE private.events SET span_id = NULL$$, '42501', NULL, 'service_role cannot UPDATE events');
SELECT lives_ok($$SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', '[]')$$,
  'service_role still ingests through the function');
RESET ROLE;

------------------------------------------------------------------ parents (was spans_parent_span_id_fkey)
SELECT throws_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(1), 'b2000000-0000-4000-8000-000000000001'))),
  'P0001', 'parent span b2000000-0000-4000-8000-000000000001 belongs to a different project',
  'a parent stored in another project is refused');
SELECT throws_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(1), pg_temp.sid(99)))),
  'P0001', 'parent span ' || pg_temp.sid(99) || ' not found for project', 'a missing parent is refused');
SELECT throws_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(1), NULL), pg_temp.span(pg_temp.sid(2), pg_temp.sid(1), '5d000000-0000-4000-8000-00000000000b'))),
  'P0001', 'parent span ' || pg_temp.sid(1) || ' of span ' || pg_temp.sid(2) || ' belongs to a different run',
  'an in-batch parent of another run is refused');
-- Parents first, children first, and a parent stored by an earlier batch.
SELECT lives_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(3), pg_temp.sid(2)), pg_temp.span(pg_temp.sid(2), pg_temp.sid(1)),
    pg_temp.span(pg_temp.sid(1), NULL))), 'a chain sent children first is stored');
SELECT lives_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(4), pg_temp.sid(3)), pg_temp.span(pg_temp.sid(5), pg_temp.sid(4)))),
  'a chain continued from a stored parent is stored');
SELECT is((SELECT string_agg(right(id::text, 2) || '<' || COALESCE(right(parent_span_id::text, 2), '-'), ' ' ORDER BY id)
  FROM private.spans WHERE id::text LIKE 'a2%'), '01<- 02<01 03<02 04<03 05<04', 'parents stored as sent');
-- A stored span re-sent with another parent keeps its first one (and is not re-checked).
SELECT lives_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(2), pg_temp.sid(5)))), 're-sending a span with another parent is accepted');
SELECT is((SELECT parent_span_id::text FROM private.spans WHERE id = pg_temp.sid(2)::uuid), pg_temp.sid(1),
  'and its parent is unchanged (no cycle can be made that way)');

------------------------------------------------------------------ cycles
SELECT throws_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(10), pg_temp.sid(10)))),
  'P0001', 'span ' || pg_temp.sid(10) || ' is part of a parent cycle', 'a span that is its own parent is refused');
SELECT throws_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(20), pg_temp.sid(21)), pg_temp.span(pg_temp.sid(21), pg_temp.sid(22)),
    pg_temp.span(pg_temp.sid(22), pg_temp.sid(20)))),
  'P0001', NULL, 'a three-span cycle is refused');
-- A tail hanging from a cycle: the span named is on the cycle itself.
PREPARE tail_cycle AS SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(pg_temp.sid(30), pg_temp.sid(31)), pg_temp.span(pg_temp.sid(31), pg_temp.sid(32)),
    pg_temp.span(pg_temp.sid(32), pg_temp.sid(33)), pg_temp.span(pg_temp.sid(33), pg_temp.sid(32)),
    pg_temp.span(pg_temp.sid(34), NULL))::text, '[]');
SELECT throws_matching('EXECUTE tail_cycle', 'span a2000000-0000-4000-8000-0000000000(32|33) is part of a parent cycle',
  'the span reported is on the cycle, not on its tail');
SELECT is(private.ingest_span_cycle(ARRAY(SELECT ROW(pg_temp.sid(i)::uuid, pg_temp.sid(i - 1)::uuid)::private.ingest_link
  FROM generate_series(1000, 2, -1) i)), NULL, 'a 999-link chain in reverse order has no cycle');
SELECT is(private.ingest_span_cycle(ARRAY(SELECT ROW(pg_temp.sid(i)::uuid, pg_temp.sid(CASE WHEN i = 1 THEN 1000 ELSE i - 1 END)::uuid)::private.ingest_link
  FROM generate_series(1000, 1, -1) i)) IS NOT NULL, true, 'a 1,000-span ring is a cycle');
-- 2,000 spans children first: the general check, linear rounds.
SELECT lives_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  (SELECT jsonb_agg(pg_temp.span('a3000000-0000-4000-8000-' || lpad(i::text, 12, '0'),
     CASE WHEN i > 1 THEN 'a3000000-0000-4000-8000-' || lpad((i - 1)::text, 12, '0') END) ORDER BY i DESC)
   FROM generate_series(1, 2000) i)), 'a 2,000-span chain sent children first is stored');

------------------------------------------------------------------ event spans (was events_span_id_fkey)
SELECT throws_ok($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
  '[{"id":"e5000000-0000-4000-8000-000000000001","run_id":"5d000000-0000-4000-8000-00000000000a","span_id":"b2000000-0000-4000-8000-000000000001","type":"custom","created_at":"2025-03-01T12:00:00Z"}]')$$,
  'P0001', 'span b2000000-0000-4000-8000-000000000001 belongs to a different project',
  'an event cannot point at another project''s span');
SELECT throws_ok($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
  '[{"id":"e5000000-0000-4000-8000-000000000001","run_id":"5d000000-0000-4000-8000-00000000000b","span_id":"a2000000-0000-4000-8000-000000000001","type":"custom","created_at":"2025-03-01T12:00:00Z"}]')$$,
  'P0001', 'span a2000000-0000-4000-8000-000000000001 of event e5000000-0000-4000-8000-000000000001 belongs to a different run',
  'nor at a span of another run');
SELECT lives_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L,
  '[{"id":"e5000000-0000-4000-8000-000000000002","run_id":"5d000000-0000-4000-8000-00000000000a","span_id":"a2000000-0000-4000-8000-000000000040","type":"custom","created_at":"2025-03-01T12:00:00Z"},
    {"id":"e5000000-0000-4000-8000-000000000003","run_id":"5d000000-0000-4000-8000-00000000000a","span_id":"a2000000-0000-4000-8000-000000000001","type":"custom","created_at":"2025-03-01T12:00:00Z"}]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(40), pg_temp.sid(1)))),
  'events may point at a span of the same batch or a stored one');

------------------------------------------------------------------ runs and projects (was *_project_id_fkey)
SELECT throws_ok(format($$SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', %L, '[]')$$,
  jsonb_build_array(pg_temp.span(pg_temp.sid(50), NULL, '5d000000-0000-4000-8000-0000000000bb'))),
  'P0001', 'run 5d000000-0000-4000-8000-0000000000bb belongs to a different project', 'a span cannot join another project''s run');
SELECT throws_ok($$SELECT private.ingest_batch('cccccccc-0000-4000-8000-000000000000')$$, 'P0001',
  'project cccccccc-0000-4000-8000-000000000000 not found', 'an unknown project is refused');
SELECT is((SELECT count(*)::int FROM private.spans s JOIN private.runs r ON r.id = s.run_id WHERE s.project_id <> r.project_id), 0,
  'every span is in its run''s project');
SELECT is((SELECT count(*)::int FROM private.events e JOIN private.runs r ON r.id = e.run_id WHERE e.project_id <> r.project_id), 0,
  'every event is in its run''s project');

------------------------------------------------------------------ mixed batches (new rows inserted, stored rows updated)
SELECT is(pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]',
  '[{"id":"5d000000-0000-4000-8000-00000000000a","session_id":"0a000000-0000-4000-8000-000000000001","name":"r","started_at":"2025-03-01T12:00:00Z","status":"running","metadata":{"k":1}},
    {"id":"5d000000-0000-4000-8000-00000000000c","session_id":"0a000000-0000-4000-8000-000000000001","name":"r3","started_at":"2025-03-01T12:00:00Z","status":"running"}]',
  jsonb_build_array(pg_temp.span(pg_temp.sid(1), NULL) || '{"status":"running","attributes":{"a":1}}',
    pg_temp.span(pg_temp.sid(60), pg_temp.sid(1)))::text,
  '[{"id":"e5000000-0000-4000-8000-000000000002","run_id":"5d000000-0000-4000-8000-00000000000a","type":"custom","created_at":"2025-03-01T12:00:00Z","content":"new"}]')
  -> 'counts', '{"runs": 2, "spans": 2, "events": 1, "sessions": 0}', 'a batch of stored and new rows is accepted');
SELECT is((SELECT string_agg(status || coalesce(metadata::text, ''), ' ' ORDER BY id) FROM private.runs
  WHERE id IN ('5d000000-0000-4000-8000-00000000000a', '5d000000-0000-4000-8000-00000000000c')),
  'ok{"k": 1} running{}', 'the stored run merged (status stays ok), the new one inserted');
SELECT is((SELECT status || attributes::text FROM private.spans WHERE id = pg_temp.sid(1)::uuid), 'ok{"a": 1}',
  'the stored span merged');
SELECT is((SELECT content FROM private.events WHERE id = 'e5000000-0000-4000-8000-000000000002'), '"new"'::jsonb,
  'the stored event''s content replaced');

------------------------------------------------------------------ deletes behave as before
SELECT pg_temp.ingest('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(pg_temp.sid(70), NULL, '5d000000-0000-4000-8000-00000000000c'))::text,
  '[{"id":"e5000000-0000-4000-8000-000000000070","run_id":"5d000000-0000-4000-8000-00000000000c","span_id":"a2000000-0000-4000-8000-000000000070","type":"custom","created_at":"2025-03-01T12:00:00Z"}]');
DELETE FROM private.runs WHERE id = '5d000000-0000-4000-8000-00000000000a';
SELECT is((SELECT count(*)::int FROM private.spans WHERE run_id = '5d000000-0000-4000-8000-00000000000a')
  + (SELECT count(*)::int FROM private.events WHERE run_id = '5d000000-0000-4000-8000-00000000000a'), 0,
  'deleting a run deletes its spans and events');
DELETE FROM private.projects WHERE id = 'bbbbbbbb-0000-4000-8000-000000000000';
SELECT is((SELECT count(*)::int FROM private.spans WHERE project_id = 'bbbbbbbb-0000-4000-8000-000000000000'), 0,
  'deleting a project deletes its spans');
DELETE FROM private.sessions WHERE id = '0a000000-0000-4000-8000-000000000001';
SELECT is((SELECT count(*)::int FROM private.spans WHERE project_id = 'aaaaaaaa-0000-4000-8000-000000000000')
  + (SELECT count(*)::int FROM private.events WHERE project_id = 'aaaaaaaa-0000-4000-8000-000000000000'), 0,
  'deleting a session deletes the spans and events of its runs');
SELECT is((SELECT count(*)::int FROM private.sessions), 0, 'and nothing else is left');
SELECT is((SELECT count(*)::int FROM private.spans s WHERE NOT EXISTS (SELECT 1 FROM private.runs r WHERE r.id = s.run_id))
  + (SELECT count(*)::int FROM private.events e WHERE NOT EXISTS (SELECT 1 FROM private.runs r WHERE r.id = e.run_id)), 0,
  'no orphan left');

SELECT * FROM finish();
ROLLBACK;
