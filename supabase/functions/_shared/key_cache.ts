/**
 * A short-lived API key → project cache in front of a `Store`'s `resolveApiKey`, so that a
 * busy client's requests skip the key lookup's round trip.
 *
 * The revocation bound: a revoked or rotated key is refused at most `ttlMs` (≤ 5 s) after the
 * revocation commits. Only positive answers are kept, each until `ttlMs` after the *start* of
 * the lookup that produced it; a lookup that starts after the revocation committed sees it, and
 * one that started before expires before `revocation + ttlMs`. Unknown or revoked keys are not
 * cached (each one costs a lookup, as without the cache), nor are failures. The cache holds at
 * most `maxEntries` keys, least recently used out first, so a flood of keys cannot grow memory;
 * concurrent lookups of one key share one database call.
 *
 * @module
 */
import type { Store } from "./store.ts";

/** The longest a positive answer may be kept: the documented revocation bound. */
export const MAX_KEY_CACHE_TTL_MS = 5_000;

/** Settings of the key cache. */
export interface KeyCacheOptions {
  /** How long a positive answer is kept, ms (default and most 5,000; 0 turns the cache off). */
  ttlMs?: number;
  /** Most keys held (default 10,000; about 1.5 MB at most). */
  maxEntries?: number;
  /** The clock, ms (tests move it). */
  now?: () => number;
}

interface Entry {
  projectId: string;
  expiresAt: number;
}

/**
 * `store` with its `resolveApiKey` answered from a bounded, short-lived cache of positive
 * answers; every other method is the store's own.
 */
export function withKeyCache<S extends Store>(store: S, options: KeyCacheOptions = {}): S {
  const ttl = options.ttlMs ?? MAX_KEY_CACHE_TTL_MS;
  if (!(ttl >= 0 && ttl <= MAX_KEY_CACHE_TTL_MS)) {
    throw new RangeError(`key cache ttlMs must be within 0..${MAX_KEY_CACHE_TTL_MS}, not ${ttl}`);
  }
  const maxEntries = options.maxEntries ?? 10_000;
  if (!(Number.isInteger(maxEntries) && maxEntries > 0)) {
    throw new RangeError(`key cache maxEntries must be a positive integer, not ${maxEntries}`);
  }
  if (ttl === 0) return store;
  const now = options.now ?? (() => performance.now());
  // A Map iterates in insertion order: re-inserting on a hit makes the first key the least
  // recently used one.
  const entries = new Map<string, Entry>();
  const pending = new Map<string, Promise<string | null>>();

  async function lookUp(keyHash: string): Promise<string | null> {
    const started = now();
    const projectId = await store.resolveApiKey(keyHash);
    if (projectId !== null) {
      entries.delete(keyHash);
      entries.set(keyHash, { projectId, expiresAt: started + ttl });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return projectId;
  }

  const resolveApiKey = (keyHash: string): Promise<string | null> => {
    const hit = entries.get(keyHash);
    if (hit) {
      entries.delete(keyHash);
      if (now() < hit.expiresAt) {
        entries.set(keyHash, hit);
        return Promise.resolve(hit.projectId);
      }
    }
    let lookup = pending.get(keyHash);
    if (!lookup) {
      // `.finally` runs after this turn, so the entry is removed after it is set even when the
      // store throws synchronously.
      lookup = lookUp(keyHash).finally(() => pending.delete(keyHash));
      pending.set(keyHash, lookup);
    }
    return lookup;
  };

  // A new object with the store's methods bound, so stores written as classes keep `this`.
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === "resolveApiKey") return resolveApiKey;
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
