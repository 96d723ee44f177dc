-- private.ingest_prepared_rows (036): the records as rows text, and
-- private.ingest_prepared_typed (038): the records as column arrays, on the same statement. Every refusal of
-- private.ingest_batch with its exact text and no row changed; malformed rows refused and
-- named; re-sends, mixed batches, children-first input, names with escapes, absent and
-- JSON-null fields; and a differential check: for a set of batches, the JSON path
-- (ingest_prepared_batch) and the rows path leave the same rows (or raise the same error).
-- Concurrent ingests of the same ids are in scripts/test-db.sh.
BEGIN;
SELECT plan(153);

------------------------------------------------------------------ helpers
-- Ids: a kind (8 hex digits) and a number.
CREATE FUNCTION pg_temp.u(k text, n int) RETURNS text LANGUAGE sql AS $$
  SELECT k || '-0000-4000-8000-' || lpad(n::text, 12, '0') $$;
CREATE FUNCTION pg_temp.sid(n int) RETURNS text LANGUAGE sql AS $$ SELECT pg_temp.u('0000000a', n) $$;
CREATE FUNCTION pg_temp.rid(n int) RETURNS text LANGUAGE sql AS $$ SELECT pg_temp.u('0000000b', n) $$;
CREATE FUNCTION pg_temp.pid(n int) RETURNS text LANGUAGE sql AS $$ SELECT pg_temp.u('0000000c', n) $$;
CREATE FUNCTION pg_temp.eid(n int) RETURNS text LANGUAGE sql AS $$ SELECT pg_temp.u('0000000d', n) $$;
-- Records as the core's JSON lists carry them.
CREATE FUNCTION pg_temp.ses(n int, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', pg_temp.sid(n), 'created_at', '2025-03-01T12:00:00Z') || extra $$;
CREATE FUNCTION pg_temp.run(n int, s int, extra jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_build_object('id', pg_temp.rid(n), 'session_id', pg_temp.sid(s), 'name', 'run ' || n,
    'started_at', '2025-03-01T12:00:01Z', 'status', 'ok') || extra $$;
CREATE FUNCTION pg_temp.span(n int, r int, parent int DEFAULT NULL, extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', pg_temp.pid(n), 'run_id', pg_temp.rid(r),
    'parent_span_id', pg_temp.pid(parent), 'kind', 'tool', 'name', 'span ' || n,
    'started_at', '2025-03-01T12:00:02Z', 'status', 'ok')) || extra $$;
CREATE FUNCTION pg_temp.ev(n int, r int, sp int DEFAULT NULL, extra jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('id', pg_temp.eid(n), 'run_id', pg_temp.rid(r),
    'span_id', pg_temp.pid(sp), 'type', 'custom', 'created_at', '2025-03-01T12:00:03Z')) || extra $$;

-- The rows text of a JSON list (036's format, as the core's prepare_batch(…, "rows") writes it):
-- an absent key is the empty field, `name` and the JSON fields are JSON text.
CREATE FUNCTION pg_temp.rows_of(list text, records jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT COALESCE(string_agg((
      SELECT string_agg(CASE
          WHEN NOT e.r ? f.name THEN ''
          WHEN f.name IN ('name', 'metadata', 'error', 'attributes', 'content') THEN (e.r -> f.name)::text
          ELSE COALESCE(e.r ->> f.name, '') END, E'\t' ORDER BY f.n)
      FROM unnest(CASE list
        WHEN 'sessions' THEN ARRAY['id', 'created_at', 'ended_at', 'metadata']
        WHEN 'runs' THEN ARRAY['id', 'session_id', 'name', 'started_at', 'ended_at', 'status', 'error', 'metadata']
        WHEN 'spans' THEN ARRAY['id', 'run_id', 'parent_span_id', 'kind', 'name', 'started_at', 'ended_at', 'status',
          'error', 'iteration', 'attributes']
        ELSE ARRAY['id', 'run_id', 'span_id', 'type', 'created_at', 'content', 'attributes'] END)
        WITH ORDINALITY AS f(name, n)), E'\n' ORDER BY e.n), '')
  FROM jsonb_array_elements(records) WITH ORDINALITY AS e(r, n)
$$;
-- The two calls, as SQL text (for throws_ok and pg_temp.outcome).
CREATE FUNCTION pg_temp.rows_sql(p text, s text, r text, sp text, e text, links jsonb DEFAULT '[]',
  scores jsonb DEFAULT '[]', warnings jsonb DEFAULT '[]') RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT private.ingest_prepared_rows(%L, %L, %L, %L, %L, %L, %L, %L)', p, s, r, sp, e, links, scores,
    warnings) $$;
CREATE FUNCTION pg_temp.rows_call(p text, s jsonb, r jsonb, sp jsonb, e jsonb, links jsonb DEFAULT '[]')
RETURNS text LANGUAGE sql AS $$
  SELECT pg_temp.rows_sql(p, pg_temp.rows_of('sessions', s), pg_temp.rows_of('runs', r), pg_temp.rows_of('spans', sp),
    pg_temp.rows_of('events', e), links) $$;
-- The column arrays of a JSON list (038's parameters, as the core's prepare_batch(…, "binary")
-- writes them): one array per field, an absent key a NULL element, `name` its text.
CREATE FUNCTION pg_temp.cols_of(list text, records jsonb) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(format('%L::%s[]', COALESCE((
      SELECT array_agg(CASE WHEN f.type = 'jsonb' THEN (e.r -> f.name)::text ELSE e.r ->> f.name END ORDER BY e.n)
      FROM jsonb_array_elements(records) WITH ORDINALITY AS e(r, n)), '{}')::text, f.type), ', ' ORDER BY f.n)
  FROM unnest(CASE list
      WHEN 'sessions' THEN ARRAY['id', 'created_at', 'ended_at', 'metadata']
      WHEN 'runs' THEN ARRAY['id', 'session_id', 'name', 'started_at', 'ended_at', 'status', 'error', 'metadata']
      WHEN 'spans' THEN ARRAY['id', 'run_id', 'parent_span_id', 'kind', 'name', 'started_at', 'ended_at', 'status',
        'error', 'iteration', 'attributes']
      ELSE ARRAY['id', 'run_id', 'span_id', 'type', 'created_at', 'content', 'attributes'] END,
    CASE list
      WHEN 'sessions' THEN ARRAY['uuid', 'timestamptz', 'timestamptz', 'jsonb']
      WHEN 'runs' THEN ARRAY['uuid', 'uuid', 'text', 'timestamptz', 'timestamptz', 'text', 'jsonb', 'jsonb']
      WHEN 'spans' THEN ARRAY['uuid', 'uuid', 'uuid', 'text', 'text', 'timestamptz', 'timestamptz', 'text', 'jsonb',
        'integer', 'jsonb']
      ELSE ARRAY['uuid', 'uuid', 'uuid', 'text', 'timestamptz', 'jsonb', 'jsonb'] END) WITH ORDINALITY AS f(name, type, n)
$$;
CREATE FUNCTION pg_temp.typed_call(p text, s jsonb, r jsonb, sp jsonb, e jsonb, links jsonb DEFAULT '[]',
  scores jsonb DEFAULT '[]', warnings jsonb DEFAULT '[]') RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT private.ingest_prepared_typed(%L, %s, %s, %s, %s, %L, %L, %L)', p, pg_temp.cols_of('sessions', s),
    pg_temp.cols_of('runs', r), pg_temp.cols_of('spans', sp), pg_temp.cols_of('events', e), links, scores, warnings) $$;
CREATE FUNCTION pg_temp.json_call(p text, s jsonb, r jsonb, sp jsonb, e jsonb, links jsonb DEFAULT '[]')
RETURNS text LANGUAGE sql AS $$
  SELECT format('SELECT private.ingest_prepared_batch(%L, %L, %L, %L, %L, %L, ''[]'', ''[]'')', p, s, r, sp, e, links) $$;
-- Every row the ingest writes, column by column.
CREATE FUNCTION pg_temp.snapshot() RETURNS text LANGUAGE sql AS $$
  SELECT concat_ws(' | ',
    (SELECT string_agg(to_jsonb(s)::text, ',' ORDER BY id) FROM private.sessions s),
    (SELECT string_agg(to_jsonb(r)::text, ',' ORDER BY id) FROM private.runs r),
    (SELECT string_agg(to_jsonb(s)::text, ',' ORDER BY id) FROM private.spans s),
    (SELECT string_agg(to_jsonb(e)::text, ',' ORDER BY id) FROM private.events e),
    (SELECT string_agg(concat_ws(',', l.span_id, l.prompt_version_id, l.variable_values), ';' ORDER BY l.span_id)
      FROM private.prompt_trace_links l))
$$;
-- What a call leaves (every row) or the error it raises; the call is rolled back either way.
CREATE FUNCTION pg_temp.outcome(call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  v_rows text;
BEGIN
  BEGIN
    EXECUTE call;
    v_rows := pg_temp.snapshot();
    RAISE EXCEPTION USING ERRCODE = 'P0099', MESSAGE = 'roll back';
  EXCEPTION
    WHEN SQLSTATE 'P0099' THEN RETURN v_rows;
    WHEN OTHERS THEN RETURN 'error: ' || SQLERRM;
  END;
END;
$$;
-- Whether the reference (private.ingest_batch) ran during a call: the fast path did not take it.
CREATE FUNCTION pg_temp.reference_calls() RETURNS bigint LANGUAGE sql AS $$
  SELECT COALESCE(pg_stat_get_xact_function_calls('private.ingest_batch(uuid, jsonb, jsonb, jsonb, jsonb)'::regprocedure), 0)
$$;
CREATE FUNCTION pg_temp.took_reference(call text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  v_before bigint := pg_temp.reference_calls();
BEGIN
  PERFORM pg_temp.outcome(call);
  RETURN pg_temp.reference_calls() > v_before;
END;
$$;
SET LOCAL track_functions = 'all';

------------------------------------------------------------------ signature and privileges
SELECT function_returns('private', 'ingest_prepared_rows',
  ARRAY['uuid', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'jsonb'], 'void');
SELECT ok(has_function_privilege('service_role',
  'private.ingest_prepared_rows(uuid, text, text, text, text, jsonb, jsonb, jsonb)', 'EXECUTE'), 'service_role may call it');
SELECT ok(NOT has_function_privilege('anon',
  'private.ingest_prepared_rows(uuid, text, text, text, text, jsonb, jsonb, jsonb)', 'EXECUTE'), 'anon cannot');
SELECT ok(NOT has_function_privilege('authenticated',
  'private.ingest_prepared_rows(uuid, text, text, text, text, jsonb, jsonb, jsonb)', 'EXECUTE'), 'authenticated cannot');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
  WHERE p.proname IN ('ingest_prepared_rows', 'ingest_rows', 'ingest_rows_fast', 'ingest_rows_problem')
    AND p.pronamespace = 'private'::regnamespace AND a.grantee = 0), 'PUBLIC holds no EXECUTE on any of 036''s functions');
SELECT ok(NOT has_function_privilege('service_role', 'private.ingest_rows_fast(uuid, text, text, text, text, boolean)', 'EXECUTE'),
  'the fast path''s writes are reached only through ingest_rows');
SELECT is_definer('private', 'ingest_rows', ARRAY['uuid', 'text', 'text', 'text', 'text', 'jsonb']);
SELECT isnt_definer('private', 'ingest_prepared_rows', ARRAY['uuid', 'text', 'text', 'text', 'text', 'jsonb', 'jsonb', 'jsonb']);

------------------------------------------------------------------ stored rows
INSERT INTO private.projects (id, name) VALUES
  ('aaaaaaaa-0000-4000-8000-000000000000', 'A'), ('bbbbbbbb-0000-4000-8000-000000000000', 'B');
-- Project A: session 1, run 1 (ok, metadata {"k": 1}), spans 1 (root) and 2 (child of 1),
-- event 1 on span 1; run 2 of session 1 with span 3. Project B: session 90, run 90, span 90, event 90.
SELECT private.ingest_batch('aaaaaaaa-0000-4000-8000-000000000000',
  jsonb_build_array(pg_temp.ses(1, '{"metadata": {"source": "cli"}}')),
  jsonb_build_array(pg_temp.run(1, 1, '{"metadata": {"k": 1}}'), pg_temp.run(2, 1)),
  jsonb_build_array(pg_temp.span(1, 1, NULL, '{"attributes": {"a": 1}}'), pg_temp.span(2, 1, 1), pg_temp.span(3, 2)),
  jsonb_build_array(pg_temp.ev(1, 1, 1, '{"content": "first"}')));
SELECT private.ingest_batch('bbbbbbbb-0000-4000-8000-000000000000',
  jsonb_build_array(pg_temp.ses(90)), jsonb_build_array(pg_temp.run(90, 90)), jsonb_build_array(pg_temp.span(90, 90)),
  jsonb_build_array(pg_temp.ev(90, 90, 90)));
CREATE TEMP TABLE stored AS SELECT pg_temp.snapshot() AS rows;

------------------------------------------------------------------ every refusal of ingest_batch, exact text, no row changed
CREATE TEMP TABLE refusal (n serial, what text, s jsonb, r jsonb, sp jsonb, e jsonb, msg text);
INSERT INTO refusal (what, s, r, sp, e, msg) VALUES
  ('a session without created_at', jsonb_build_array(pg_temp.ses(5) - 'created_at'), '[]', '[]', '[]',
    'session ' || pg_temp.sid(5) || ' needs an id and created_at'),
  ('a session of another project', jsonb_build_array(pg_temp.ses(90)), '[]', '[]', '[]',
    'session ' || pg_temp.sid(90) || ' belongs to a different project'),
  ('a session twice', jsonb_build_array(pg_temp.ses(5), pg_temp.ses(5)), '[]', '[]', '[]',
    'session ' || pg_temp.sid(5) || ' appears more than once in the batch'),
  ('a run without a name', '[]', jsonb_build_array(pg_temp.run(5, 1) - 'name'), '[]', '[]',
    'run ' || pg_temp.rid(5) || ' needs an id, session_id, name, started_at and status'),
  ('a stored run without status (an UPDATE checks no NOT NULL)', '[]', jsonb_build_array(pg_temp.run(1, 1) - 'status'),
    '[]', '[]', 'run ' || pg_temp.rid(1) || ' needs an id, session_id, name, started_at and status'),
  ('a run of another project', '[]', jsonb_build_array(pg_temp.run(90, 1)), '[]', '[]',
    'run ' || pg_temp.rid(90) || ' belongs to a different project'),
  ('a run twice', '[]', jsonb_build_array(pg_temp.run(5, 1), pg_temp.run(5, 1)), '[]', '[]',
    'run ' || pg_temp.rid(5) || ' appears more than once in the batch'),
  ('a run of a missing session', '[]', jsonb_build_array(pg_temp.run(5, 6)), '[]', '[]',
    'session ' || pg_temp.sid(6) || ' not found for project'),
  ('a run of another project''s session', '[]', jsonb_build_array(pg_temp.run(5, 90)), '[]', '[]',
    'session ' || pg_temp.sid(90) || ' belongs to a different project'),
  ('a span without kind', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1) - 'kind'), '[]',
    'span ' || pg_temp.pid(5) || ' needs an id, run_id, kind, name, started_at and status'),
  ('a span of another project', '[]', '[]', jsonb_build_array(pg_temp.span(90, 1)), '[]',
    'span ' || pg_temp.pid(90) || ' belongs to a different project'),
  ('a span twice', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1), pg_temp.span(5, 1)), '[]',
    'span ' || pg_temp.pid(5) || ' appears more than once in the batch'),
  ('a span of a missing run', '[]', '[]', jsonb_build_array(pg_temp.span(5, 6)), '[]',
    'run ' || pg_temp.rid(6) || ' not found for project'),
  ('a span in another project''s run', '[]', '[]', jsonb_build_array(pg_temp.span(5, 90)), '[]',
    'run ' || pg_temp.rid(90) || ' belongs to a different project'),
  ('a missing parent', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1, 6)), '[]',
    'parent span ' || pg_temp.pid(6) || ' not found for project'),
  ('a parent of another project', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1, 90)), '[]',
    'parent span ' || pg_temp.pid(90) || ' belongs to a different project'),
  ('a stored parent of another run', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1, 3)), '[]',
    'parent span ' || pg_temp.pid(3) || ' of span ' || pg_temp.pid(5) || ' belongs to a different run'),
  ('an in-batch parent of another run', '[]', '[]', jsonb_build_array(pg_temp.span(5, 2), pg_temp.span(6, 1, 5)), '[]',
    'parent span ' || pg_temp.pid(5) || ' of span ' || pg_temp.pid(6) || ' belongs to a different run'),
  ('a span its own parent', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1, 5)), '[]',
    'span ' || pg_temp.pid(5) || ' is part of a parent cycle'),
  ('a two-span cycle', '[]', '[]', jsonb_build_array(pg_temp.span(5, 1, 6), pg_temp.span(6, 1, 5)), '[]',
    NULL),
  ('an event without type', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 1) - 'type'),
    'event ' || pg_temp.eid(5) || ' needs an id, run_id, type and created_at'),
  ('an event of another project', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(90, 1)),
    'event ' || pg_temp.eid(90) || ' belongs to a different project'),
  ('an event twice', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 1), pg_temp.ev(5, 1)),
    'event ' || pg_temp.eid(5) || ' appears more than once in the batch'),
  ('an event of a missing run', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 6)),
    'run ' || pg_temp.rid(6) || ' not found for project'),
  ('an event in another project''s run', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 90)),
    'run ' || pg_temp.rid(90) || ' belongs to a different project'),
  ('an event on a missing span', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 1, 6)),
    'span ' || pg_temp.pid(6) || ' not found for project'),
  ('an event on another project''s span', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 1, 90)),
    'span ' || pg_temp.pid(90) || ' belongs to a different project'),
  ('an event on a stored span of another run', '[]', '[]', '[]', jsonb_build_array(pg_temp.ev(5, 1, 3)),
    'span ' || pg_temp.pid(3) || ' of event ' || pg_temp.eid(5) || ' belongs to a different run'),
  ('an event on an in-batch span of another run', '[]', '[]', jsonb_build_array(pg_temp.span(5, 2)),
    jsonb_build_array(pg_temp.ev(5, 1, 5)),
    'span ' || pg_temp.pid(5) || ' of event ' || pg_temp.eid(5) || ' belongs to a different run'),
  -- 006's order: the first rule broken wins (a session twice, before a missing run).
  ('two rules broken', jsonb_build_array(pg_temp.ses(5), pg_temp.ses(5)), '[]', '[]', jsonb_build_array(pg_temp.ev(5, 6)),
    'session ' || pg_temp.sid(5) || ' appears more than once in the batch'),
  -- Refused after an accepted prefix: the run and spans would be written, the event is not allowed.
  ('a good batch with one bad event at the end', jsonb_build_array(pg_temp.ses(5)), jsonb_build_array(pg_temp.run(5, 5)),
    jsonb_build_array(pg_temp.span(5, 5), pg_temp.span(6, 5, 5)), jsonb_build_array(pg_temp.ev(5, 5, 6), pg_temp.ev(6, 5, 3)),
    'span ' || pg_temp.pid(3) || ' of event ' || pg_temp.eid(6) || ' belongs to a different run');

SELECT CASE WHEN msg IS NULL
    THEN throws_matching(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e),
      'span 0000000c-0000-4000-8000-00000000000[56] is part of a parent cycle', 'refused: ' || what)
    ELSE throws_ok(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e), 'P0001', msg, 'refused: ' || what)
  END
FROM refusal ORDER BY n;
SELECT is(pg_temp.snapshot(), (SELECT rows FROM stored), 'no refused batch changed a row');
-- The same texts as the JSON path, rule by rule (the edge maps them to HTTP statuses).
SELECT is(pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)),
  pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)), 'same as the JSON path: ' || what)
FROM refusal WHERE n IN (2, 5, 17, 20, 31) ORDER BY n;
SELECT throws_ok(pg_temp.rows_sql('cccccccc-0000-4000-8000-000000000000', '', '', '', ''), 'P0001',
  'project cccccccc-0000-4000-8000-000000000000 not found', 'refused: an unknown project');
SELECT throws_ok(pg_temp.rows_sql(NULL, '', '', '', ''), 'P0001', 'project <NULL> not found', 'refused: no project');
-- The record ceiling, counted before the rows are read (these lines are not even rows).
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '', '',
  repeat(E'x\n', private.max_batch_records()) || 'x'), 'P0001', 'batch exceeds maximum of 100000 records',
  'refused: more records than the ceiling');

------------------------------------------------------------------ malformed rows: refused, named, nothing written
PREPARE good_session AS SELECT pg_temp.rows_of('sessions', jsonb_build_array(pg_temp.ses(7)));
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000',
  pg_temp.sid(7) || E'\t2025-03-01T12:00:00Z\t', '', '', ''), '22P02',
  'malformed sessions row 1: 3 fields, expected 4', 'malformed: a field missing');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '',
  pg_temp.rows_of('spans', jsonb_build_array(pg_temp.span(7, 1), pg_temp.span(8, 1))) || E'\t', ''), '22P02',
  'malformed spans row 2: 12 fields, expected 11', 'malformed: a field too many (would be ignored otherwise)');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '', '',
  pg_temp.rows_of('events', jsonb_build_array(pg_temp.ev(7, 1))) || E'\n'), '22P02',
  'malformed events row 2: 0 fields, expected 7', 'malformed: a trailing line feed');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '',
  pg_temp.rows_of('spans', jsonb_build_array(pg_temp.span(7, 1, NULL, jsonb_build_object('parent_span_id', 'xyz')))), ''),
  '22P02', 'malformed spans row 1: parent_span_id: invalid input syntax for type uuid: "xyz"', 'malformed: not a uuid');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '', '',
  pg_temp.rows_of('events', jsonb_build_array(pg_temp.ev(7, 1, NULL, '{"created_at": "not a time"}')))), '22P02',
  'malformed events row 1: created_at: invalid input syntax for type timestamp with time zone: "not a time"',
  'malformed: not a timestamp');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '',
  replace(pg_temp.rows_of('runs', jsonb_build_array(pg_temp.run(7, 1, '{"metadata": {"k": 1}}'))), '{"k": 1}', '{"k": '),
  '', ''), '22P02', 'malformed runs row 1: metadata: invalid input syntax for type json', 'malformed: not JSON');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '',
  replace(pg_temp.rows_of('spans', jsonb_build_array(pg_temp.span(7, 1))), '"span 7"', 'span 7'), ''), '22P02',
  'malformed spans row 1: name: invalid input syntax for type json', 'malformed: a name that is not a JSON string literal');
-- A JSON field is parsed alone, never spliced into an object: a name that would add a key is refused.
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '',
  replace(pg_temp.rows_of('spans', jsonb_build_array(pg_temp.span(7, 1))), '"span 7"',
    '"x", "parent_span_id": "' || pg_temp.pid(90) || '"'), ''), '22P02',
  'malformed spans row 1: name: invalid input syntax for type json', 'malformed: a name smuggling a key');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '',
  pg_temp.rows_of('spans', jsonb_build_array(pg_temp.span(7, 1, NULL, '{"iteration": "1.5"}'))), ''), '22P02',
  'malformed spans row 1: iteration: invalid input syntax for type integer: "1.5"', 'malformed: not an integer');
SELECT is(pg_temp.snapshot(), (SELECT rows FROM stored), 'no malformed batch changed a row');

------------------------------------------------------------------ the fast path and the reference
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000',
  jsonb_build_array(pg_temp.ses(20)), jsonb_build_array(pg_temp.run(20, 20)),
  jsonb_build_array(pg_temp.span(20, 20), pg_temp.span(21, 20, 20), pg_temp.span(22, 20, 1, '{"run_id": "0000000b-0000-4000-8000-000000000001"}')),
  jsonb_build_array(pg_temp.ev(20, 20, 21), pg_temp.ev(21, 1, 2), pg_temp.ev(22, 20)))), false,
  'a fresh batch, parents first, with stored parents and spans, is written by the fast path');
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000',
  jsonb_build_array(pg_temp.ses(1, '{"ended_at": "2025-03-01T13:00:00Z"}')), jsonb_build_array(pg_temp.run(1, 1)),
  jsonb_build_array(pg_temp.span(20, 1)), '[]')), false, 'stored sessions and runs are merged by the fast path');
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(1, 1)), '[]')), false, 'a stored span (sent again as it ends) is merged by the fast path');
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(1, 1, NULL, '{"run_id": "0000000b-0000-4000-8000-000000000002"}')), '[]')), true,
  'a stored span sent with another run goes to the reference');
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
  jsonb_build_array(pg_temp.ev(1, 1, 1)))), false, 'a stored event (a retried batch) is merged by the fast path (037)');
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(21, 1, 20), pg_temp.span(20, 1)), '[]')), true, 'children first go to the reference');

------------------------------------------------------------------ the same rows as the JSON path (differential)
CREATE TEMP TABLE batch (n serial, what text, s jsonb, r jsonb, sp jsonb, e jsonb, accepted boolean DEFAULT true);
INSERT INTO batch (what, s, r, sp, e) VALUES
  ('a fresh batch, three levels, events with and without spans, every field',
    jsonb_build_array(pg_temp.ses(30, '{"ended_at": "2025-03-01T12:30:00.123456Z", "metadata": {"user": "u1", "tags": ["a"]}}')),
    jsonb_build_array(pg_temp.run(30, 30, '{"ended_at": "2025-03-01T12:29:00Z", "status": "error", "error": {"type": "Timeout", "message": "took\ttoo\nlong"}, "metadata": {"cost_usd": 0.0025}}'),
      pg_temp.run(31, 30, '{"status": "running"}')),
    jsonb_build_array(pg_temp.span(30, 30, NULL, '{"kind": "agent", "iteration": 1, "ended_at": "2025-03-01T12:00:05Z"}'),
      pg_temp.span(31, 30, 30, '{"kind": "model", "attributes": {"model": "gpt-4o", "input_tokens": 100, "cost_usd": 0.00125}}'),
      pg_temp.span(32, 30, 31, '{"status": "error", "error": {"message": "boom"}}'), pg_temp.span(33, 31)),
    jsonb_build_array(pg_temp.ev(30, 30, NULL, '{"type": "user_input", "content": "Find the docs."}'),
      pg_temp.ev(31, 30, 31, '{"type": "assistant_message", "content": {"text": "ok", "n": [1, 2]}, "attributes": {"a": true}}'),
      pg_temp.ev(32, 31, 33, '{"content": 42}'))),
  ('a re-send of stored rows with changes (status never back to running; merges)',
    jsonb_build_array(pg_temp.ses(1, '{"ended_at": "2025-03-01T14:00:00Z", "metadata": {"user": "u2"}}')),
    jsonb_build_array(pg_temp.run(1, 1, '{"status": "running", "metadata": {"m": 2}, "error": {"e": 1}}'),
      pg_temp.run(2, 1, '{"status": "error", "ended_at": "2025-03-01T12:10:00Z"}')),
    jsonb_build_array(pg_temp.span(1, 1, NULL, '{"status": "error", "attributes": {"b": 2}}'), pg_temp.span(2, 1, 3)),
    jsonb_build_array(pg_temp.ev(1, 1, 1, '{"content": "second", "attributes": {"x": 1}}'))),
  ('an identical re-send', jsonb_build_array(pg_temp.ses(1, '{"metadata": {"source": "cli"}}')),
    jsonb_build_array(pg_temp.run(1, 1, '{"metadata": {"k": 1}}')), jsonb_build_array(pg_temp.span(2, 1, 1)),
    jsonb_build_array(pg_temp.ev(1, 1, 1, '{"content": "first"}'))),
  ('stored and new rows mixed: a new run in a stored session, spans under stored spans, events on both',
    jsonb_build_array(pg_temp.ses(1)),
    jsonb_build_array(pg_temp.run(1, 1, '{"ended_at": "2025-03-01T12:20:00Z"}'), pg_temp.run(40, 1)),
    jsonb_build_array(pg_temp.span(40, 1, 2), pg_temp.span(41, 40, NULL), pg_temp.span(42, 2, 3)),
    jsonb_build_array(pg_temp.ev(40, 1, 1), pg_temp.ev(41, 40, 41), pg_temp.ev(42, 2, 42), pg_temp.ev(43, 1, 40))),
  ('a stored span re-sent beside new children (reference: merged, children stored)', '[]', '[]',
    jsonb_build_array(pg_temp.span(2, 1, 1, '{"ended_at": "2025-03-01T12:00:09Z"}'), pg_temp.span(50, 1, 2)),
    jsonb_build_array(pg_temp.ev(50, 1, 50))),
  ('children first: a chain in reverse order', '[]', '[]',
    jsonb_build_array(pg_temp.span(62, 1, 61), pg_temp.span(61, 1, 60), pg_temp.span(60, 1, 2)), '[]'),
  ('absent and JSON-null fields', jsonb_build_array(pg_temp.ses(70, '{"metadata": null, "ended_at": null}')),
    jsonb_build_array(pg_temp.run(70, 70, '{"error": null, "metadata": null}')),
    jsonb_build_array(pg_temp.span(70, 70, NULL, '{"attributes": null, "error": null, "iteration": null}'), pg_temp.span(71, 70)),
    jsonb_build_array(pg_temp.ev(70, 70, NULL, '{"content": null, "attributes": null}'), pg_temp.ev(71, 70))),
  ('null fields on a re-send keep the stored values', jsonb_build_array(pg_temp.ses(1, '{"metadata": null}')),
    jsonb_build_array(pg_temp.run(1, 1, '{"error": null, "metadata": null, "ended_at": null}')),
    jsonb_build_array(pg_temp.span(20, 1)), jsonb_build_array(pg_temp.ev(1, 1, 1, '{"content": null}'))),
  ('names with escapes and unicode', '[]',
    jsonb_build_array(pg_temp.run(80, 1, jsonb_build_object('name', E'caf\u00e9 "quoted" \\ back\tand\nline'))),
    jsonb_build_array(pg_temp.span(80, 80, NULL, jsonb_build_object('name', E'日本語 \u2028 "x"')),
      pg_temp.span(81, 80, 80, '{"name": ""}')),
    '[]'),
  ('a wide batch: 300 spans under one stored parent, 300 events', '[]', '[]',
    (SELECT jsonb_agg(pg_temp.span(1000 + i, 1, 1) ORDER BY i) FROM generate_series(1, 300) i),
    (SELECT jsonb_agg(pg_temp.ev(1000 + i, 1, 1000 + i) ORDER BY i) FROM generate_series(1, 300) i));
INSERT INTO batch (what, s, r, sp, e, accepted) SELECT 'refusal: ' || what, s, r, sp, e, false FROM refusal;

SELECT is(pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)),
  pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)), 'same rows as JSON: ' || what)
FROM batch WHERE accepted ORDER BY n;
SELECT ok(bool_and(pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e))
    IS NOT DISTINCT FROM pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e))),
  'every refusal batch: the same error as the JSON path')
FROM batch WHERE NOT accepted;
SELECT ok(bool_and(pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e))
    NOT LIKE 'error:%'), 'and every other batch is accepted (the comparisons above are of written rows)')
FROM batch WHERE accepted;

------------------------------------------------------------------ what the differential compares, seen directly
SELECT lives_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', pg_temp.rows_of('runs',
  jsonb_build_array(pg_temp.run(1, 1, '{"status": "running", "metadata": {"m": 2}}'))), '', ''), 'a re-sent run');
SELECT is((SELECT status || ' ' || metadata::text FROM private.runs WHERE id = pg_temp.rid(1)::uuid), 'ok {"k": 1, "m": 2}',
  'keeps its final status and merges its metadata');
-- Names exactly as the JSON path decodes them, from escapes as the core may write them.
SELECT lives_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '',
  pg_temp.pid(85) || E'\t' || pg_temp.rid(1) || E'\t\ttool\t"caf\\u00e9 \\"q\\" \\\\ \\t\\n"\t2025-03-01T12:00:02Z\t\tok\t\t\t'
  || E'\n' || pg_temp.pid(86) || E'\t' || pg_temp.rid(1) || E'\t\ttool\t"plain"\t2025-03-01T12:00:02Z\t\tok\t\t\t', ''),
  'a span name with JSON escapes');
SELECT is((SELECT name FROM private.spans WHERE id = pg_temp.pid(85)::uuid), E'caf\u00e9 "q" \\ \t\n', 'is decoded');
SELECT is((SELECT name FROM private.spans WHERE id = pg_temp.pid(86)::uuid), 'plain', 'a plain one loses its quotes');
SELECT lives_ok(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(87, 1, NULL, '{"attributes": null}')),
  jsonb_build_array(pg_temp.ev(87, 1, NULL, '{"content": null}'), pg_temp.ev(88, 1))), 'null and absent fields');
SELECT is((SELECT attributes FROM private.spans WHERE id = pg_temp.pid(87)::uuid), '{}'::jsonb, 'attributes null: {}');
SELECT is((SELECT string_agg(jsonb_typeof(content), ',' ORDER BY id) FROM private.events
  WHERE id IN (pg_temp.eid(87)::uuid, pg_temp.eid(88)::uuid)), 'null,null', 'content null or absent: JSON null');
-- A 2,000-span chain, parents first, through the fast path (linear); then children first through the reference.
SELECT is(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  (SELECT jsonb_agg(pg_temp.span(3000 + i, 1, CASE WHEN i > 1 THEN 2999 + i END) ORDER BY i) FROM generate_series(1, 2000) i),
  '[]')), false, 'a 2,000-span chain sent parents first is written by the fast path');
SELECT lives_ok(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  (SELECT jsonb_agg(pg_temp.span(3000 + i, 1, CASE WHEN i > 1 THEN 2999 + i END) ORDER BY i DESC)
   FROM generate_series(1, 2000) i), '[]'), 'and children first by the reference');
SELECT is((SELECT count(*)::int FROM private.spans WHERE id::text LIKE '0000000c-0000-4000-8000-00000000%'
  AND right(id::text, 4)::int BETWEEN 3001 AND 5000 AND (parent_span_id IS NULL) = (right(id::text, 4)::int = 3001)), 2000,
  'with every parent');

------------------------------------------------------------------ batches sent again (037's re-send branch)
-- How many times a call ran the fast path `v_fn` (1: one branch; 2: fresh, then re-send).
CREATE FUNCTION pg_temp.fast_calls(call text,
  v_fn regprocedure DEFAULT 'private.ingest_rows_fast(uuid, text, text, text, text, boolean)') RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  v_before bigint := COALESCE(pg_stat_get_xact_function_calls(v_fn), 0);
BEGIN
  EXECUTE call;
  RETURN COALESCE(pg_stat_get_xact_function_calls(v_fn), 0) - v_before;
END;
$$;
-- A batch of its own, stored: session 200, run 200, spans 200 (root) and 201, events 200-203.
CREATE TEMP TABLE resent AS SELECT jsonb_build_array(pg_temp.ses(200)) AS s,
  jsonb_build_array(pg_temp.run(200, 200)) AS r,
  jsonb_build_array(pg_temp.span(200, 200), pg_temp.span(201, 200, 200, '{"attributes": {"a": 1}}')) AS sp,
  jsonb_build_array(pg_temp.ev(200, 200, 200, '{"content": "hello"}'), pg_temp.ev(201, 200, 201, '{"attributes": {"k": 1}}'),
    pg_temp.ev(202, 200), pg_temp.ev(203, 200, 201, '{"type": "tool_result", "content": {"ok": true}}')) AS e;
SELECT lives_ok((SELECT pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e) FROM resent),
  're-send: the batch is stored once');
-- Every written row's place: an UPDATE (even a HOT one) gives the row a new ctid. The
-- places of batch 200's rows (a list of `id@ctid`, in id order), optionally of some ids only.
CREATE FUNCTION pg_temp.places(only_ids uuid[] DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(x.id || '@' || x.place, ',' ORDER BY x.id) FROM (
    SELECT id, ctid::text AS place FROM private.sessions WHERE id = pg_temp.sid(200)::uuid
    UNION ALL SELECT id, ctid::text FROM private.runs WHERE id = pg_temp.rid(200)::uuid
    UNION ALL SELECT id, ctid::text FROM private.spans WHERE run_id = pg_temp.rid(200)::uuid
    UNION ALL SELECT id, ctid::text FROM private.events WHERE run_id = pg_temp.rid(200)::uuid) x
  WHERE only_ids IS NULL OR x.id = ANY (only_ids) $$;
CREATE TEMP TABLE places_before AS SELECT pg_temp.places() AS p, pg_temp.snapshot() AS rows,
  pg_temp.places(ARRAY[pg_temp.eid(202)::uuid, pg_temp.eid(203)::uuid]) AS unchanged;
SELECT is((SELECT pg_temp.fast_calls(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)) FROM resent),
  1::bigint, 're-send: an identical retry runs the fast path once (its re-send branch, chosen by the first event)');
SELECT is(pg_temp.places(), (SELECT p FROM places_before), 'and writes no row: every row keeps its place');
SELECT is(pg_temp.snapshot(), (SELECT rows FROM places_before), 'and every value');
SELECT is((SELECT pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)) FROM resent),
  false, 'and never reaches the reference');
SELECT is((SELECT pg_temp.fast_calls(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
    jsonb_build_array(pg_temp.ev(200, 200, 200, '{"content": "changed", "attributes": {"n": 2}}'),
      pg_temp.ev(201, 200, 201, '{"attributes": {"k": 2, "m": 3}}'), pg_temp.ev(202, 200), pg_temp.ev(204, 200, 200))))),
  1::bigint, 're-send with changes and a new event: the re-send branch');
SELECT is((SELECT string_agg(id || ' ' || content::text || ' ' || attributes::text, '; ' ORDER BY id) FROM private.events
    WHERE run_id = pg_temp.rid(200)::uuid),
  pg_temp.eid(200) || ' "changed" {"n": 2}; ' || pg_temp.eid(201) || ' null {"k": 2, "m": 3}; ' || pg_temp.eid(202)
    || ' null {}; ' || pg_temp.eid(203) || ' {"ok": true} {}; ' || pg_temp.eid(204) || ' null {}',
  'content replaced, attributes merged, the new event inserted, the others untouched');
SELECT is(pg_temp.places(ARRAY[pg_temp.eid(202)::uuid, pg_temp.eid(203)::uuid]), (SELECT unchanged FROM places_before),
  'an unchanged event is not written again');
SELECT is((SELECT pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
    jsonb_build_array(pg_temp.ev(205, 200), pg_temp.ev(203, 200, 201, '{"type": "tool_result", "content": {"ok": false}}'))))),
  false, 'a new first event and a stored one later: the fresh branch meets it, the re-send branch writes the batch');
SELECT lives_ok(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]',
    jsonb_build_array(pg_temp.ev(205, 200), pg_temp.ev(203, 200, 201, '{"type": "tool_result", "content": {"ok": false}}'))),
  'and it is written');
SELECT is((SELECT count(*)::int FROM private.events WHERE id = pg_temp.eid(205)::uuid)
  + (SELECT count(*)::int FROM private.events WHERE id = pg_temp.eid(203)::uuid AND content = '{"ok": false}'), 2,
  'both events as the reference leaves them');
-- What the re-send branch must leave to the reference: the same outcome as the JSON path.
CREATE TEMP TABLE resend_case (n serial, what text, e jsonb);
INSERT INTO resend_case (what, e) VALUES
  ('another project''s stored event', jsonb_build_array(pg_temp.ev(90, 90, 90))),
  ('a stored event sent with another run', jsonb_build_array(pg_temp.ev(200, 1, NULL))),
  ('a stored event sent with another span', jsonb_build_array(pg_temp.ev(200, 200, 201))),
  ('a stored event sent twice', jsonb_build_array(pg_temp.ev(200, 200, 200), pg_temp.ev(200, 200, 200))),
  ('a stored and a new event, the new one twice', jsonb_build_array(pg_temp.ev(200, 200, 200), pg_temp.ev(206, 200),
    pg_temp.ev(206, 200))),
  ('a stored event with a type the table refuses', jsonb_build_array(pg_temp.ev(200, 200, 200, '{"type": "nope"}'))),
  ('a stored event without created_at', jsonb_build_array(pg_temp.ev(200, 200, 200) - 'created_at')),
  ('a stored event whose attributes are not an object', jsonb_build_array(pg_temp.ev(200, 200, 200, '{"attributes": [1]}'))),
  ('a stored event on a missing span', jsonb_build_array(pg_temp.ev(200, 200, 200), pg_temp.ev(207, 200, 299)));
SELECT is(pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e)),
  pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e)), 're-send, as JSON: ' || what)
FROM resend_case ORDER BY n;
-- (A refused call's own statistics are not counted: pg_temp.took_reference tells only of accepted ones.)
SELECT is((SELECT string_agg(n::text, ',' ORDER BY n) FROM resend_case
    WHERE pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e)) NOT LIKE 'error:%'),
  '2,3,6', 're-send: the reference accepts a stored event sent with another run, span or type (it keeps the stored ones)');
SELECT ok(bool_and(pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e))),
  're-send: another run or span is written by the reference') FROM resend_case WHERE n IN (2, 3);
SELECT is((SELECT pg_temp.took_reference(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e))
    FROM resend_case WHERE n = 6), false, 're-send: another type by the re-send branch (the stored type is kept, as there)');

------------------------------------------------------------------ prompt links, scores, warnings: one statement
CREATE TEMP TABLE p AS SELECT * FROM public.dashboard_create_prompt('aaaaaaaa-0000-4000-8000-000000000000', 'P', 'p');
CREATE TEMP TABLE v AS SELECT * FROM public.dashboard_create_prompt_version('aaaaaaaa-0000-4000-8000-000000000000',
  (SELECT id FROM p), 'Say {{ x }}', 'gpt-4o-mini', 0.2, 256, '[]');
SELECT is(pg_temp.outcome(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
    jsonb_build_array(pg_temp.span(90000, 1)), '[]',
    jsonb_build_array(jsonb_build_object('span_id', pg_temp.pid(90000), 'prompt_version_id', (SELECT id FROM v),
      'variable_values', '{"x": "y"}'::jsonb)))),
  pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
    jsonb_build_array(pg_temp.span(90000, 1)), '[]',
    jsonb_build_array(jsonb_build_object('span_id', pg_temp.pid(90000), 'prompt_version_id', (SELECT id FROM v),
      'variable_values', '{"x": "y"}'::jsonb)))), 'a prompt link on a span of the batch: the same rows');
SELECT lives_ok(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
    jsonb_build_array(pg_temp.span(90001, 1)), '[]',
    jsonb_build_array(jsonb_build_object('span_id', pg_temp.pid(90001), 'prompt_version_id', (SELECT id FROM v),
      'variable_values', '{"x": "z"}'::jsonb))), 'records and a prompt link in one call');
SELECT is((SELECT variable_values FROM private.prompt_trace_links WHERE span_id = pg_temp.pid(90001)::uuid), '{"x": "z"}'::jsonb,
  'the link is stored');
SELECT throws_ok(pg_temp.rows_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
    jsonb_build_array(pg_temp.span(90002, 1)), '[]',
    jsonb_build_array(jsonb_build_object('span_id', pg_temp.pid(90002), 'prompt_version_id', pg_temp.pid(1),
      'variable_values', '{}'::jsonb))), 'P0001', 'prompt version ' || pg_temp.pid(1) || ' not found for project',
  'a refused link refuses the call');
SELECT is((SELECT count(*)::int FROM private.spans WHERE id = pg_temp.pid(90002)::uuid), 0, 'and its span is not written');

SET LOCAL ROLE service_role;
SELECT lives_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', pg_temp.rows_of('runs',
    jsonb_build_array(pg_temp.run(95, 1))), '', '', '[]',
  jsonb_build_array(jsonb_build_object('id', pg_temp.eid(95), 'trace_id', pg_temp.rid(95), 'name', 'quality', 'value', 0.5)),
  jsonb_build_array(jsonb_build_object('kind', 'run', 'record_id', pg_temp.rid(95), 'path', 'runs[0].name',
    'code', 'nul_character', 'message', 'm'))),
  'as service_role: records, a score on a run of the batch and a warning, in one call');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', pg_temp.rows_of('runs',
    jsonb_build_array(pg_temp.run(96, 1))), '', '', '[]',
  jsonb_build_array(jsonb_build_object('trace_id', pg_temp.rid(97), 'name', 'x', 'value', 1)),
  jsonb_build_array(jsonb_build_object('kind', 'run', 'record_id', pg_temp.rid(96), 'path', 'runs[0].name',
    'code', 'nul_character', 'message', 'm'))),
  'P0001', 'trace ' || pg_temp.rid(97) || ' not found for project', 'a refused score refuses the call');
SELECT lives_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '', '', ''), 'an empty batch is a no-op');
SELECT throws_ok(pg_temp.rows_sql('aaaaaaaa-0000-4000-8000-000000000000', '', '', '', '', '[]', NULL),
  'P0001', 'scores must be a JSON array', 'NULL scores are refused, as by ingest_prepared_batch');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM private.scores WHERE trace_id = pg_temp.rid(95)::uuid)
  + (SELECT count(*)::int FROM private.ingest_warnings WHERE record_id = pg_temp.rid(95)::uuid), 2, 'the score and warning are stored');
SELECT is((SELECT count(*)::int FROM private.runs WHERE id = pg_temp.rid(96)::uuid)
  + (SELECT count(*)::int FROM private.ingest_warnings WHERE record_id = pg_temp.rid(96)::uuid), 0,
  'and neither its run nor its warning is written');

------------------------------------------------------------------ 038: the same batches as column arrays
SELECT ok(has_function_privilege('service_role', 'private.ingest_prepared_typed(uuid, uuid[], timestamptz[], timestamptz[],
  jsonb[], uuid[], uuid[], text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[],
  jsonb[], jsonb[], jsonb, jsonb, jsonb)', 'EXECUTE'), 'typed: service_role may call ingest_prepared_typed');
SELECT ok(NOT has_function_privilege('anon', 'private.ingest_prepared_typed(uuid, uuid[], timestamptz[], timestamptz[],
  jsonb[], uuid[], uuid[], text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[],
  jsonb[], jsonb[], jsonb, jsonb, jsonb)', 'EXECUTE'), 'typed: anon cannot');
SELECT ok(NOT has_function_privilege('authenticated', 'private.ingest_typed(uuid, uuid[], timestamptz[], timestamptz[],
  jsonb[], uuid[], uuid[], text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[],
  jsonb[], jsonb[], jsonb)', 'EXECUTE'), 'typed: authenticated cannot');
SELECT ok(NOT has_function_privilege('service_role', 'private.ingest_typed_fast(uuid, uuid[], timestamptz[], timestamptz[],
  jsonb[], uuid[], uuid[], text[], timestamptz[], timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[],
  text[], timestamptz[], timestamptz[], text[], jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[],
  jsonb[], jsonb[], boolean)', 'EXECUTE'), 'typed: the fast path''s writes are reached only through ingest_typed');
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) a
  WHERE p.proname IN ('ingest_prepared_typed', 'ingest_typed', 'ingest_typed_fast', 'jsonb_present')
    AND p.pronamespace = 'private'::regnamespace AND a.grantee = 0), 'PUBLIC holds no EXECUTE on any of 038''s functions');
SELECT is(pg_temp.outcome(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)),
  pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)), 'typed, same rows as JSON: ' || what)
FROM batch WHERE accepted ORDER BY n;
SELECT is((SELECT string_agg(n::text, ',' ORDER BY n) FROM batch WHERE accepted
    AND pg_temp.outcome(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e)) LIKE 'error:%'), NULL,
  'typed: and every one of them is accepted (the comparisons above are of written rows)');
SELECT ok(bool_and(pg_temp.outcome(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e))
    IS NOT DISTINCT FROM pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e))),
  'typed: every refusal batch, the same error as the JSON path')
FROM batch WHERE NOT accepted;
SELECT is(pg_temp.outcome(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e)),
  pg_temp.outcome(pg_temp.json_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]', '[]', e)),
  'typed re-send, as JSON: ' || what)
FROM resend_case ORDER BY n;
SELECT throws_ok(pg_temp.typed_call('cccccccc-0000-4000-8000-000000000000', '[]', '[]', '[]', '[]'), 'P0001',
  'project cccccccc-0000-4000-8000-000000000000 not found', 'typed: an unknown project is refused');
SELECT is(pg_temp.took_reference(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000',
  jsonb_build_array(pg_temp.ses(20)), jsonb_build_array(pg_temp.run(20, 20)),
  jsonb_build_array(pg_temp.span(20, 20), pg_temp.span(21, 20, 20), pg_temp.span(22, 20, 1, '{"run_id": "0000000b-0000-4000-8000-000000000001"}')),
  jsonb_build_array(pg_temp.ev(20, 20, 21), pg_temp.ev(21, 1, 2), pg_temp.ev(22, 20)))), false,
  'typed: a fresh batch with stored parents and spans is written by the fast path');
SELECT is(pg_temp.took_reference(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', '[]',
  jsonb_build_array(pg_temp.span(21, 1, 20), pg_temp.span(20, 1)), '[]')), true, 'typed: children first go to the reference');
SELECT is((SELECT pg_temp.fast_calls(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', s, r, sp, e),
    'private.ingest_typed_fast(uuid, uuid[], timestamptz[], timestamptz[], jsonb[], uuid[], uuid[], text[], timestamptz[],
    timestamptz[], text[], jsonb[], jsonb[], uuid[], uuid[], uuid[], text[], text[], timestamptz[], timestamptz[], text[],
    jsonb[], integer[], jsonb[], uuid[], uuid[], uuid[], text[], timestamptz[], jsonb[], jsonb[], boolean)')
  FROM resent), 1::bigint, 'typed: an identical retry runs the fast path once (its re-send branch)');
SET LOCAL ROLE service_role;
SELECT lives_ok(pg_temp.typed_call('aaaaaaaa-0000-4000-8000-000000000000', '[]', jsonb_build_array(pg_temp.run(98, 1)), '[]',
  '[]', '[]',
  jsonb_build_array(jsonb_build_object('id', pg_temp.eid(98), 'trace_id', pg_temp.rid(98), 'name', 'quality', 'value', 0.5)),
  jsonb_build_array(jsonb_build_object('kind', 'run', 'record_id', pg_temp.rid(98), 'path', 'runs[0].name',
    'code', 'nul_character', 'message', 'm'))),
  'typed, as service_role: records, a score on a run of the batch and a warning, in one call');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM private.runs WHERE id = pg_temp.rid(98)::uuid)
  + (SELECT count(*)::int FROM private.scores WHERE trace_id = pg_temp.rid(98)::uuid)
  + (SELECT count(*)::int FROM private.ingest_warnings WHERE record_id = pg_temp.rid(98)::uuid), 3,
  'typed: the run, score and warning are stored');

SELECT * FROM finish();
ROLLBACK;
