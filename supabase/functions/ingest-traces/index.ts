// The ingest-traces Edge Function: POST /functions/v1/ingest-traces (Bearer API key).
import { databaseUrl, optionsFromEnv } from "../_shared/config.ts";
import { createIngestHandler } from "../_shared/ingest.ts";
import { createResilientPgStore } from "../_shared/pg_resilient.ts";

const options = optionsFromEnv();
Deno.serve(createIngestHandler(createResilientPgStore(databaseUrl(), options), options));
