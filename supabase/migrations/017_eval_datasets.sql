-- 017 eval datasets: uploaded test-case files (the bytes live in Supabase Storage, bucket
-- `eval-datasets`, path <project_id>/<dataset_id>/<file name>); this table holds their
-- metadata.

-- The storage bucket, where there is a Supabase Storage schema (plain PostgreSQL and PGlite
-- have none; the table and functions below work without it).
DO $$
BEGIN
  IF to_regclass('storage.buckets') IS NOT NULL THEN
    EXECUTE $sql$
      INSERT INTO storage.buckets (id, name, public, file_size_limit)
      VALUES ('eval-datasets', 'eval-datasets', false, 10485760)
      ON CONFLICT (id) DO UPDATE SET public = false, file_size_limit = 10485760
    $sql$;
  END IF;
END;
$$;

CREATE TABLE private.eval_datasets (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  name text NOT NULL CONSTRAINT eval_datasets_name_not_blank CHECK (btrim(name) <> ''),
  file_name text NOT NULL CONSTRAINT eval_datasets_file_name_not_blank CHECK (btrim(file_name) <> ''),
  file_format text NOT NULL CONSTRAINT eval_datasets_file_format_check CHECK (file_format IN ('json', 'jsonl', 'csv', 'xlsx', 'xls')),
  content_type text NOT NULL CONSTRAINT eval_datasets_content_type_not_blank CHECK (btrim(content_type) <> ''),
  byte_size bigint NOT NULL CONSTRAINT eval_datasets_byte_size_check CHECK (byte_size >= 0),
  storage_path text NOT NULL CONSTRAINT eval_datasets_storage_path_not_blank CHECK (btrim(storage_path) <> ''),
  case_count integer CONSTRAINT eval_datasets_case_count_check CHECK (case_count IS NULL OR case_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT eval_datasets_project_storage_path_key UNIQUE (project_id, storage_path),
  -- Lets eval runs reference a dataset together with its project (019).
  CONSTRAINT eval_datasets_id_project_key UNIQUE (id, project_id)
);
CREATE INDEX idx_eval_datasets_project_created_at ON private.eval_datasets (project_id, created_at DESC);
ALTER TABLE private.eval_datasets ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION public.dashboard_list_eval_datasets(p_project_id uuid)
RETURNS TABLE (id uuid, project_id uuid, name text, file_name text, file_format text, content_type text,
  byte_size bigint, storage_path text, case_count integer, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT d.id, d.project_id, d.name, d.file_name, d.file_format, d.content_type, d.byte_size, d.storage_path,
    d.case_count, d.created_at
  FROM private.eval_datasets d WHERE d.project_id = p_project_id
  ORDER BY d.created_at DESC, d.id
$$;

CREATE FUNCTION public.dashboard_get_eval_dataset(p_project_id uuid, p_dataset_id uuid)
RETURNS TABLE (id uuid, project_id uuid, name text, file_name text, file_format text, content_type text,
  byte_size bigint, storage_path text, case_count integer, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT d.id, d.project_id, d.name, d.file_name, d.file_format, d.content_type, d.byte_size, d.storage_path,
    d.case_count, d.created_at
  FROM private.eval_datasets d WHERE d.project_id = p_project_id AND d.id = p_dataset_id
$$;

CREATE FUNCTION public.dashboard_create_eval_dataset(p_id uuid, p_project_id uuid, p_name text, p_file_name text,
  p_file_format text, p_content_type text, p_byte_size bigint, p_storage_path text, p_case_count integer)
RETURNS TABLE (id uuid, project_id uuid, name text, file_name text, file_format text, content_type text,
  byte_size bigint, storage_path text, case_count integer, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  INSERT INTO private.eval_datasets AS d (id, project_id, name, file_name, file_format, content_type, byte_size,
    storage_path, case_count)
  VALUES (p_id, p_project_id, btrim(p_name), btrim(p_file_name), lower(btrim(p_file_format)), btrim(p_content_type),
    p_byte_size, btrim(p_storage_path), p_case_count)
  RETURNING d.id, d.project_id, d.name, d.file_name, d.file_format, d.content_type, d.byte_size, d.storage_path,
    d.case_count, d.created_at
$$;

-- Returns the deleted dataset's storage path, so the caller can delete the file.
CREATE FUNCTION public.dashboard_delete_eval_dataset(p_project_id uuid, p_dataset_id uuid)
RETURNS TABLE (storage_path text)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  DELETE FROM private.eval_datasets d WHERE d.project_id = p_project_id AND d.id = p_dataset_id
  RETURNING d.storage_path
$$;

GRANT USAGE ON SCHEMA private TO service_role;
GRANT SELECT, INSERT, DELETE ON private.eval_datasets TO service_role;
REVOKE ALL ON private.eval_datasets FROM PUBLIC, anon, authenticated;
