// The ingest-traces Edge Function: POST /functions/v1/ingest-traces (Bearer API key).
import { databaseUrl, optionsFromEnv } from "../_shared/config.ts";
import { createIngestHandler } from "../_shared/ingest.ts";
import { withKeyCache } from "../_shared/key_cache.ts";
import { createPgStore } from "../_shared/pg_store.ts";

const options = optionsFromEnv();
const store = createPgStore(databaseUrl(), options);
// Connections opened before the first request; a failure here is the first request's to report.
store.warmUp().catch(() => {});
Deno.serve(createIngestHandler(withKeyCache(store), options));
