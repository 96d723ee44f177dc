-- The most sessions, runs, spans and events one ingest call takes, raised from 10,000 to the
-- core's record ceiling, 100,000 (issue 11: a batch a real client can send is stored, not
-- refused). The SDK caps its queue of those four kinds at 1,000 each, so this matters for
-- other clients; the edge's body limit (16 MiB) bounds what a batch costs, and the write path
-- of 027 is linear in the batch. In strict mode the edge still refuses more than 10,000
-- records before the database is called.
CREATE OR REPLACE FUNCTION private.max_batch_records() RETURNS integer
LANGUAGE sql IMMUTABLE SET search_path = '' AS $$ SELECT 100000 $$;
