-- 011 privileges of the key RPC: only the service role (the dashboard's server) may call it.
-- (Upstream's 011 repaired an ambiguous column in 010; ours was written without it.)
REVOKE ALL ON FUNCTION public.create_or_rotate_project_api_key(uuid, text, uuid, text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.create_or_rotate_project_api_key(uuid, text, uuid, text) TO service_role;
