/**
 * An in-memory `Store` for unit tests of the handlers' HTTP behaviour (never the only proof:
 * the end-to-end tests run against PostgreSQL).
 *
 * @module
 */
import type { PreparedBatch, PreparedOtlp } from "./core.ts";
import type { PromptVersion, Store } from "./store.ts";

/** Keys, prompts, and the batches it was given; `fail` makes the next call throw. */
export class MemoryStore implements Store {
  keys = new Map<string, string>();
  prompts: (PromptVersion & { project_id: string; slug: string; labels: Record<string, string> })[] = [];
  batches: { projectId: string; batch: PreparedBatch }[] = [];
  otlpExports: { projectId: string; prepared: PreparedOtlp }[] = [];
  fail: Error | null = null;

  #check(): void {
    if (this.fail) throw this.fail;
  }

  resolveApiKey(keyHash: string): Promise<string | null> {
    this.#check();
    return Promise.resolve(this.keys.get(keyHash) ?? null);
  }

  ingest(projectId: string, batch: PreparedBatch): Promise<void> {
    this.#check();
    this.batches.push({ projectId, batch });
    return Promise.resolve();
  }

  ingestOtlp(projectId: string, prepared: PreparedOtlp): Promise<void> {
    this.#check();
    this.otlpExports.push({ projectId, prepared });
    return Promise.resolve();
  }

  resolvePrompt(projectId: string, slug: string, label: string, version: number | null): Promise<PromptVersion | null> {
    this.#check();
    const found = this.prompts.find((p) =>
      p.project_id === projectId && p.slug === slug &&
      (version !== null ? p.version_number === version : p.labels[label] === p.id)
    );
    if (!found) return Promise.resolve(null);
    const { project_id: _p, slug: _s, labels: _l, ...version_ } = found;
    return Promise.resolve(version_);
  }
}
