// The ingest-traces Edge Function: POST /functions/v1/ingest-traces (Bearer API key).
import { databaseUrl, optionsFromEnv } from "../_shared/config.ts";
import { createIngestHandler } from "../_shared/ingest.ts";
import { createPgStore } from "../_shared/pg_store.ts";

const options = optionsFromEnv();
Deno.serve(createIngestHandler(createPgStore(databaseUrl(), options), options));
