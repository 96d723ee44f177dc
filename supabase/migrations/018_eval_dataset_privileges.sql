-- 018 eval dataset privileges: only the service role reaches datasets, through the
-- dashboard functions of 017.
REVOKE ALL ON FUNCTION public.dashboard_list_eval_datasets(uuid), public.dashboard_get_eval_dataset(uuid, uuid),
  public.dashboard_create_eval_dataset(uuid, uuid, text, text, text, text, bigint, text, integer),
  public.dashboard_delete_eval_dataset(uuid, uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_list_eval_datasets(uuid), public.dashboard_get_eval_dataset(uuid, uuid),
  public.dashboard_create_eval_dataset(uuid, uuid, text, text, text, text, bigint, text, integer),
  public.dashboard_delete_eval_dataset(uuid, uuid) TO service_role;
