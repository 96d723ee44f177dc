-- Every table's columns as the contract names them: name, type, NOT NULL, in order
-- (database.md §2), and the constraint names it lists (§5).
BEGIN;
SELECT plan(26);

SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.projects'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, name text NOT NULL, created_at timestamp with time zone NOT NULL',
  'private.projects columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.api_keys'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, name text NOT NULL, key_hash text NOT NULL, created_at timestamp with time zone NOT NULL, revoked_at timestamp with time zone',
  'private.api_keys columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.sessions'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, created_at timestamp with time zone NOT NULL, ended_at timestamp with time zone, metadata jsonb NOT NULL',
  'private.sessions columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.runs'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, session_id uuid NOT NULL, project_id uuid NOT NULL, name text NOT NULL, started_at timestamp with time zone NOT NULL, ended_at timestamp with time zone, status text NOT NULL, error jsonb, metadata jsonb NOT NULL, otlp_has_root boolean, otlp_session_rank smallint',
  'private.runs columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.spans'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, run_id uuid NOT NULL, project_id uuid NOT NULL, parent_span_id uuid, kind text NOT NULL, name text NOT NULL, started_at timestamp with time zone NOT NULL, ended_at timestamp with time zone, status text NOT NULL, error jsonb, iteration integer, attributes jsonb NOT NULL, pending_parent_span_id uuid',
  'private.spans columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.events'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, run_id uuid NOT NULL, span_id uuid, project_id uuid NOT NULL, type text NOT NULL, created_at timestamp with time zone NOT NULL, content jsonb NOT NULL, attributes jsonb NOT NULL',
  'private.events columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.prompts'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, name text NOT NULL, slug text NOT NULL, description text, current_version_id uuid, labels jsonb NOT NULL, created_by text, created_at timestamp with time zone NOT NULL, updated_at timestamp with time zone NOT NULL',
  'private.prompts columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.prompt_versions'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, prompt_id uuid NOT NULL, project_id uuid NOT NULL, version_number integer NOT NULL, content text NOT NULL, model text, temperature numeric(4,3), max_tokens integer, variables jsonb NOT NULL, parent_version_id uuid, change_note text, content_hash text NOT NULL, created_by text, created_at timestamp with time zone NOT NULL',
  'private.prompt_versions columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.prompt_label_history'::regclass AND attnum > 0 AND NOT attisdropped),
  'id bigint NOT NULL, project_id uuid NOT NULL, prompt_id uuid NOT NULL, label text NOT NULL, version_id uuid NOT NULL, deployed_at timestamp with time zone NOT NULL, deployed_by text, change_note text',
  'private.prompt_label_history columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.prompt_trace_links'::regclass AND attnum > 0 AND NOT attisdropped),
  'id bigint NOT NULL, project_id uuid NOT NULL, trace_id uuid NOT NULL, span_id uuid NOT NULL, prompt_version_id uuid NOT NULL, variable_values jsonb NOT NULL, linked_at timestamp with time zone NOT NULL',
  'private.prompt_trace_links columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.scores'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, trace_id uuid NOT NULL, span_id uuid, name text NOT NULL, value double precision NOT NULL, data_type private.score_data_type NOT NULL, string_value text, source private.score_source NOT NULL, comment text, created_by text, created_at timestamp with time zone NOT NULL',
  'private.scores columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.eval_datasets'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, name text NOT NULL, file_name text NOT NULL, file_format text NOT NULL, content_type text NOT NULL, byte_size bigint NOT NULL, storage_path text NOT NULL, case_count integer, created_at timestamp with time zone NOT NULL',
  'private.eval_datasets columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.eval_runs'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, dataset_id uuid NOT NULL, status text NOT NULL, total_cases integer NOT NULL, evaluated_cases integer NOT NULL, not_evaluated_cases integer NOT NULL, passed_cases integer NOT NULL, failed_cases integer NOT NULL, pass_rate double precision NOT NULL, skipped_grades integer NOT NULL, result jsonb, error jsonb, created_at timestamp with time zone NOT NULL',
  'private.eval_runs columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'private.project_provider_keys'::regclass AND attnum > 0 AND NOT attisdropped),
  'project_id uuid NOT NULL, provider text NOT NULL, encrypted_api_key text NOT NULL, key_hint text NOT NULL, created_at timestamp with time zone NOT NULL, updated_at timestamp with time zone NOT NULL',
  'private.project_provider_keys columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'public.alert_rules'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, kind text NOT NULL, threshold numeric, enabled boolean NOT NULL, created_at timestamp with time zone NOT NULL, updated_at timestamp with time zone NOT NULL',
  'public.alert_rules columns');
SELECT is((SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod) || CASE WHEN attnotnull THEN ' NOT NULL' ELSE '' END, ', ' ORDER BY attnum)
  FROM pg_attribute WHERE attrelid = 'public.webhooks'::regclass AND attnum > 0 AND NOT attisdropped),
  'id uuid NOT NULL, project_id uuid NOT NULL, url text NOT NULL, status text NOT NULL, created_at timestamp with time zone NOT NULL',
  'public.webhooks columns');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompts'::regclass AND conname = 'prompts_slug_per_project' AND contype = 'u'),
  'constraint prompts_slug_per_project');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompt_versions'::regclass AND conname = 'prompt_versions_unique_number' AND contype = 'u'),
  'constraint prompt_versions_unique_number');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompt_trace_links'::regclass AND conname = 'prompt_trace_links_variables_is_object' AND contype = 'c'),
  'constraint prompt_trace_links_variables_is_object');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompt_trace_links'::regclass AND conname = 'prompt_trace_links_unique' AND contype = 'u'),
  'constraint prompt_trace_links_unique');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.scores'::regclass AND conname = 'scores_categorical_value_check' AND contype = 'c'),
  'constraint scores_categorical_value_check');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.scores'::regclass AND conname = 'scores_boolean_value_check' AND contype = 'c'),
  'constraint scores_boolean_value_check');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.project_provider_keys'::regclass AND conname = 'project_provider_keys_provider_check' AND contype = 'c'),
  'constraint project_provider_keys_provider_check');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompts'::regclass AND conname = 'prompts_current_version_fk' AND contype = 'f'),
  'constraint prompts_current_version_fk');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompt_versions'::regclass AND conname = 'prompt_versions_content_size' AND contype = 'c'),
  'constraint prompt_versions_content_size');
SELECT ok(EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'private.prompt_versions'::regclass AND conname = 'prompt_versions_temperature_range' AND contype = 'c'),
  'constraint prompt_versions_temperature_range');

SELECT * FROM finish();
ROLLBACK;
