-- 024 alert rules and webhooks (configuration only: nothing evaluates or delivers them yet).
-- They live in `public`, as upstream's dashboard expects, but unlike upstream they
-- reference their project (cascade), have row level security on (no policies: only the
-- service role, which bypasses it, reaches them) and explicit grants; a project has at
-- most one rule per kind, and webhook URLs must be https.
CREATE TABLE public.alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  kind text NOT NULL CONSTRAINT alert_rules_kind_check CHECK (kind IN ('error_rate', 'latency_p95', 'token_budget')),
  threshold numeric,
  enabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT alert_rules_one_per_kind UNIQUE (project_id, kind)
);
CREATE INDEX alert_rules_project_id_idx ON public.alert_rules (project_id);

CREATE TABLE public.webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  url text NOT NULL CONSTRAINT webhooks_url_https CHECK (url ~ '^https://[^/?#[:space:]]+'),
  status text NOT NULL DEFAULT 'active' CONSTRAINT webhooks_status_check CHECK (status IN ('active', 'paused')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_project_id_idx ON public.webhooks (project_id);

ALTER TABLE public.alert_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.webhooks ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.alert_rules, public.webhooks FROM PUBLIC, anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.alert_rules, public.webhooks TO service_role;

CREATE FUNCTION public.dashboard_list_alert_rules(p_project_id uuid)
RETURNS TABLE (id uuid, project_id uuid, kind text, threshold numeric, enabled boolean, created_at timestamptz,
  updated_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT a.id, a.project_id, a.kind, a.threshold, a.enabled, a.created_at, a.updated_at
  FROM public.alert_rules a WHERE a.project_id = p_project_id ORDER BY a.kind
$$;

-- Updates the project's rule with this id, or else the project's rule of this kind, or
-- else creates one. A rule id of another project is never touched; a rule keeps its kind.
CREATE FUNCTION public.dashboard_upsert_alert_rule(p_id uuid, p_project_id uuid, p_kind text, p_threshold numeric,
  p_enabled boolean)
RETURNS TABLE (id uuid, project_id uuid, kind text, threshold numeric, enabled boolean, created_at timestamptz,
  updated_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
DECLARE
  v_id uuid;
BEGIN
  SELECT a.id INTO v_id FROM public.alert_rules a WHERE a.id = p_id AND a.project_id = p_project_id;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM public.alert_rules a WHERE a.id = p_id) THEN
      RAISE EXCEPTION 'alert rule % belongs to a different project', p_id;
    END IF;
    SELECT a.id INTO v_id FROM public.alert_rules a WHERE a.project_id = p_project_id AND a.kind = p_kind;
  END IF;
  IF v_id IS NULL THEN
    INSERT INTO public.alert_rules AS a (id, project_id, kind, threshold, enabled)
    VALUES (COALESCE(p_id, gen_random_uuid()), p_project_id, p_kind, p_threshold, COALESCE(p_enabled, false))
    RETURNING a.id INTO v_id;
  ELSE
    UPDATE public.alert_rules a SET threshold = p_threshold, enabled = COALESCE(p_enabled, a.enabled), updated_at = now()
    WHERE a.id = v_id;
  END IF;
  RETURN QUERY SELECT a.id, a.project_id, a.kind, a.threshold, a.enabled, a.created_at, a.updated_at
    FROM public.alert_rules a WHERE a.id = v_id;
END;
$$;

CREATE FUNCTION public.dashboard_delete_alert_rule(p_project_id uuid, p_id uuid)
RETURNS void
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  DELETE FROM public.alert_rules a WHERE a.project_id = p_project_id AND a.id = p_id
$$;

CREATE FUNCTION public.dashboard_list_webhooks(p_project_id uuid)
RETURNS TABLE (id uuid, project_id uuid, url text, status text, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT w.id, w.project_id, w.url, w.status, w.created_at
  FROM public.webhooks w WHERE w.project_id = p_project_id ORDER BY w.created_at DESC, w.id
$$;

CREATE FUNCTION public.dashboard_create_webhook(p_id uuid, p_project_id uuid, p_url text)
RETURNS TABLE (id uuid, project_id uuid, url text, status text, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  INSERT INTO public.webhooks AS w (id, project_id, url) VALUES (COALESCE(p_id, gen_random_uuid()), p_project_id, btrim(p_url))
  RETURNING w.id, w.project_id, w.url, w.status, w.created_at
$$;

CREATE FUNCTION public.dashboard_delete_webhook(p_project_id uuid, p_id uuid)
RETURNS void
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
  DELETE FROM public.webhooks w WHERE w.project_id = p_project_id AND w.id = p_id
$$;

DO $$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
           WHERE p.pronamespace = 'public'::regnamespace
             AND p.proname IN ('dashboard_list_alert_rules', 'dashboard_upsert_alert_rule', 'dashboard_delete_alert_rule',
               'dashboard_list_webhooks', 'dashboard_create_webhook', 'dashboard_delete_webhook') LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, anon, authenticated', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO service_role', f);
  END LOOP;
END;
$$;
