// The prompts Edge Function: POST /functions/v1/prompts/resolve (Bearer API key).
import { databaseUrl, optionsFromEnv } from "../_shared/config.ts";
import { withKeyCache } from "../_shared/key_cache.ts";
import { createResilientPgStore } from "../_shared/pg_resilient.ts";
import { createPromptsHandler } from "../_shared/prompts.ts";

const options = optionsFromEnv();
const store = createResilientPgStore(databaseUrl(), options);
// Connections opened before the first request; a failure here is the first request's to report.
store.warmUp().catch(() => {});
// A revoked or rotated key is refused within 5 s (key_cache.ts).
Deno.serve(createPromptsHandler(withKeyCache(store), options));
