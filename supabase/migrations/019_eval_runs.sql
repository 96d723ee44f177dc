-- 019 eval runs: the results of running a dataset through a grader. A run's dataset must be
-- of the same project (enforced by a foreign key on both columns), and its counts must be
-- consistent.
CREATE TABLE private.eval_runs (
  id uuid PRIMARY KEY,
  project_id uuid NOT NULL REFERENCES private.projects (id) ON DELETE CASCADE,
  dataset_id uuid NOT NULL REFERENCES private.eval_datasets (id) ON DELETE CASCADE,
  status text NOT NULL CONSTRAINT eval_runs_status_check CHECK (status IN ('passed', 'failed', 'not_evaluated', 'error')),
  total_cases integer NOT NULL CONSTRAINT eval_runs_total_cases_check CHECK (total_cases >= 0),
  evaluated_cases integer NOT NULL CONSTRAINT eval_runs_evaluated_cases_check CHECK (evaluated_cases >= 0),
  not_evaluated_cases integer NOT NULL CONSTRAINT eval_runs_not_evaluated_cases_check CHECK (not_evaluated_cases >= 0),
  passed_cases integer NOT NULL CONSTRAINT eval_runs_passed_cases_check CHECK (passed_cases >= 0),
  failed_cases integer NOT NULL CONSTRAINT eval_runs_failed_cases_check CHECK (failed_cases >= 0),
  pass_rate double precision NOT NULL CONSTRAINT eval_runs_pass_rate_check CHECK (pass_rate >= 0 AND pass_rate <= 1),
  skipped_grades integer NOT NULL CONSTRAINT eval_runs_skipped_grades_check CHECK (skipped_grades >= 0),
  result jsonb,
  error jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT eval_runs_result_or_error CHECK (CASE WHEN status = 'error' THEN error IS NOT NULL ELSE result IS NOT NULL END),
  CONSTRAINT eval_runs_counts_consistent CHECK (
    evaluated_cases <= total_cases AND not_evaluated_cases <= total_cases AND passed_cases + failed_cases <= evaluated_cases),
  CONSTRAINT eval_runs_dataset_same_project FOREIGN KEY (dataset_id, project_id)
    REFERENCES private.eval_datasets (id, project_id) ON DELETE CASCADE
);
CREATE INDEX idx_eval_runs_dataset_created_at ON private.eval_runs (project_id, dataset_id, created_at DESC);
ALTER TABLE private.eval_runs ENABLE ROW LEVEL SECURITY;

CREATE FUNCTION public.dashboard_create_eval_run(p_id uuid, p_project_id uuid, p_dataset_id uuid, p_status text,
  p_total_cases integer, p_evaluated_cases integer, p_not_evaluated_cases integer, p_passed_cases integer,
  p_failed_cases integer, p_pass_rate double precision, p_skipped_grades integer, p_result jsonb DEFAULT NULL,
  p_error jsonb DEFAULT NULL)
RETURNS TABLE (id uuid, project_id uuid, dataset_id uuid, status text, total_cases integer, evaluated_cases integer,
  not_evaluated_cases integer, passed_cases integer, failed_cases integer, pass_rate double precision,
  skipped_grades integer, result jsonb, error jsonb, created_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = '' AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM private.eval_datasets d WHERE d.id = p_dataset_id AND d.project_id = p_project_id) THEN
    RAISE EXCEPTION 'Eval dataset not found';
  END IF;
  RETURN QUERY
  INSERT INTO private.eval_runs AS r (id, project_id, dataset_id, status, total_cases, evaluated_cases,
    not_evaluated_cases, passed_cases, failed_cases, pass_rate, skipped_grades, result, error)
  VALUES (p_id, p_project_id, p_dataset_id, p_status, p_total_cases, p_evaluated_cases, p_not_evaluated_cases,
    p_passed_cases, p_failed_cases, p_pass_rate, p_skipped_grades, p_result, p_error)
  RETURNING r.id, r.project_id, r.dataset_id, r.status, r.total_cases, r.evaluated_cases, r.not_evaluated_cases,
    r.passed_cases, r.failed_cases, r.pass_rate, r.skipped_grades, r.result, r.error, r.created_at;
END;
$$;

CREATE FUNCTION public.dashboard_list_eval_runs(p_project_id uuid, p_dataset_id uuid)
RETURNS TABLE (id uuid, project_id uuid, dataset_id uuid, status text, total_cases integer, evaluated_cases integer,
  not_evaluated_cases integer, passed_cases integer, failed_cases integer, pass_rate double precision,
  skipped_grades integer, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT r.id, r.project_id, r.dataset_id, r.status, r.total_cases, r.evaluated_cases, r.not_evaluated_cases,
    r.passed_cases, r.failed_cases, r.pass_rate, r.skipped_grades, r.created_at
  FROM private.eval_runs r
  JOIN private.eval_datasets d ON d.id = r.dataset_id AND d.project_id = r.project_id
  WHERE r.project_id = p_project_id AND r.dataset_id = p_dataset_id
  ORDER BY r.created_at DESC, r.id
$$;

CREATE FUNCTION public.dashboard_get_eval_run(p_project_id uuid, p_dataset_id uuid, p_run_id uuid)
RETURNS TABLE (id uuid, project_id uuid, dataset_id uuid, status text, total_cases integer, evaluated_cases integer,
  not_evaluated_cases integer, passed_cases integer, failed_cases integer, pass_rate double precision,
  skipped_grades integer, result jsonb, error jsonb, created_at timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = '' AS $$
  SELECT r.id, r.project_id, r.dataset_id, r.status, r.total_cases, r.evaluated_cases, r.not_evaluated_cases,
    r.passed_cases, r.failed_cases, r.pass_rate, r.skipped_grades, r.result, r.error, r.created_at
  FROM private.eval_runs r
  WHERE r.project_id = p_project_id AND r.dataset_id = p_dataset_id AND r.id = p_run_id
$$;

GRANT SELECT, INSERT, DELETE ON private.eval_runs TO service_role;
REVOKE ALL ON private.eval_runs FROM PUBLIC, anon, authenticated;
REVOKE ALL ON FUNCTION public.dashboard_create_eval_run(uuid, uuid, uuid, text, integer, integer, integer, integer,
  integer, double precision, integer, jsonb, jsonb), public.dashboard_list_eval_runs(uuid, uuid),
  public.dashboard_get_eval_run(uuid, uuid, uuid) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION public.dashboard_create_eval_run(uuid, uuid, uuid, text, integer, integer, integer, integer,
  integer, double precision, integer, jsonb, jsonb), public.dashboard_list_eval_runs(uuid, uuid),
  public.dashboard_get_eval_run(uuid, uuid, uuid) TO service_role;
