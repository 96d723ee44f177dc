-- The database computes prompt variables and content hashes exactly as the ingest core does,
-- on every template of the shared corpus (tests/fixtures/prompt-corpus.json, written from the
-- core by tests/prompt_corpus.rs). Run from the repository root.
\set corpus `cat tests/fixtures/prompt-corpus.json`
BEGIN;
SELECT plan((SELECT jsonb_array_length(:'corpus'::jsonb) * 2 + 1));

SELECT ok(jsonb_array_length(:'corpus'::jsonb) >= 200, 'the corpus has at least 200 templates');
SELECT is(private.prompt_variables(e.t ->> 'template'),
  (SELECT COALESCE(jsonb_agg(jsonb_build_object('name', v.name, 'type', 'string', 'required', true, 'default', NULL)
     ORDER BY v.ord), '[]'::jsonb)
   FROM jsonb_array_elements_text(e.t -> 'variables') WITH ORDINALITY AS v(name, ord)),
  format('corpus #%s: variables of %s', e.n, e.t -> 'template'))
FROM jsonb_array_elements(:'corpus'::jsonb) WITH ORDINALITY AS e(t, n);
SELECT is(private.prompt_content_hash(e.t ->> 'template'), e.t ->> 'content_hash', format('corpus #%s: content hash', e.n))
FROM jsonb_array_elements(:'corpus'::jsonb) WITH ORDINALITY AS e(t, n);

SELECT * FROM finish();
ROLLBACK;
