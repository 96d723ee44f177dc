-- 009 function hardening: every function in `private` pins its search_path (a SECURITY
-- DEFINER function that does not can be hijacked through objects in a schema the caller
-- controls), and PUBLIC may execute none of them. This migration fails loudly otherwise.
DO $$
DECLARE
  v_name text;
BEGIN
  SELECT p.oid::regprocedure::text INTO v_name
  FROM pg_proc p
  WHERE p.pronamespace = 'private'::regnamespace
    AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'function % does not pin its search_path', v_name;
  END IF;
  SELECT p.oid::regprocedure::text INTO v_name
  FROM pg_proc p
  WHERE p.pronamespace = 'private'::regnamespace
    AND EXISTS (SELECT 1 FROM aclexplode(COALESCE(p.proacl, acldefault('f', p.proowner))) a
                WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'function % is executable by PUBLIC', v_name;
  END IF;
END;
$$;
