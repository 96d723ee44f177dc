// The prompts Edge Function: POST /functions/v1/prompts/resolve (Bearer API key).
import { databaseUrl, optionsFromEnv } from "../_shared/config.ts";
import { createResilientPgStore } from "../_shared/pg_resilient.ts";
import { createPromptsHandler } from "../_shared/prompts.ts";

const options = optionsFromEnv();
Deno.serve(createPromptsHandler(createResilientPgStore(databaseUrl(), options), options));
