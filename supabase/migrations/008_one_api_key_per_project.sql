-- 008 one active API key per project. Rotation revokes the old key (revoked_at) and adds
-- a new row, so a project keeps its key history and at most one key that works.
DROP INDEX private.idx_api_keys_project_id;
CREATE UNIQUE INDEX idx_api_keys_project_id ON private.api_keys (project_id) WHERE revoked_at IS NULL;
