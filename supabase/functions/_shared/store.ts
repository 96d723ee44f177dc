/**
 * What the Edge Functions need from the database, as an interface, so the handlers can run
 * against PostgreSQL (`pg_store.ts`), PGlite, or an in-memory store in unit tests.
 *
 * @module
 */
import type { PreparedBatch } from "./core.ts";

/** A prompt version as `prompts/resolve` returns it (only keys the SDK's model allows). */
export interface PromptVersion {
  id: string;
  prompt_id: string;
  version_number: number;
  content: string;
  model: string | null;
  temperature: number | null;
  max_tokens: number | null;
  variables: unknown[];
  content_hash: string;
}

/** The database access of the functions. */
export interface Store {
  /** The project of an active key with this SHA-256 hex hash, or null. */
  resolveApiKey(keyHash: string): Promise<string | null>;
  /** Writes a prepared batch in one transaction (records, prompt links, then scores). */
  ingest(projectId: string, batch: PreparedBatch): Promise<void>;
  /** A prompt version by slug and label, or by version number when one is given. */
  resolvePrompt(projectId: string, slug: string, label: string, version: number | null): Promise<PromptVersion | null>;
}

/**
 * A database failure, classified for the HTTP answer:
 * - `client`: the data was refused (a reference, ownership or constraint rule) → 400;
 * - `unavailable`: the database cannot be reached, or timed out → 503 with Retry-After;
 * - `internal`: anything else → 500.
 */
export class StoreError extends Error {
  constructor(readonly kind: "client" | "unavailable" | "internal", message: string, cause?: unknown) {
    super(message, { cause });
  }
}
