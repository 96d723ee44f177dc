-- 020 re-uploading a dataset's file: its format, content type, size and case count change.
-- Zero rows (no error) when the dataset is not the project's.
CREATE FUNCTION public.dashboard_update_eval_dataset(p_project_id uuid, p_dataset_id uuid, p_file_format text,
  p_content_type text, p_byte_size bigint, p_case_count integer)
RETURNS TABLE (id uuid, project_id uuid, name text, file_name text, file_format text, content_type text,
  byte_size bigint, storage_path text, case_count integer, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  UPDATE private.eval_datasets d SET file_format = lower(btrim(p_file_format)), content_type = btrim(p_content_type),
    byte_size = p_byte_size, case_count = p_case_count
  WHERE d.project_id = p_project_id AND d.id = p_dataset_id
  RETURNING d.id, d.project_id, d.name, d.file_name, d.file_format, d.content_type, d.byte_size, d.storage_path,
    d.case_count, d.created_at
$$;
GRANT UPDATE ON private.eval_datasets TO service_role;
REVOKE ALL ON FUNCTION public.dashboard_update_eval_dataset(uuid, uuid, text, text, bigint, integer)
  FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_update_eval_dataset(uuid, uuid, text, text, bigint, integer) TO service_role;
