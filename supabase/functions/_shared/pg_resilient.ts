/**
 * The functions' store on PostgreSQL as deployed: npm:pg (`pg_store.ts`) with a short
 * connect timeout, behind the circuit breaker of `breaker.ts` sized to the pool, probing
 * the database with `SELECT 1` on a fresh connection while it is down.
 *
 * @module
 */
import { type GuardedStore, withCircuitBreaker } from "./breaker.ts";
import { createPgStore, loadPg } from "./pg_store.ts";

/** Settings of the database access (all have defaults). */
export interface DatabaseOptions {
  /** Longest a statement may run before the request is answered 503 (default 15 s). */
  statementTimeoutMs?: number;
  /** Longest wait to open a connection, ms (default 2000). */
  connectTimeoutMs?: number;
  /** Connections per isolate, and calls in flight at once (default 4). */
  maxConnections?: number;
  /** Longest a request waits for a free connection before its 503, ms (default 1000). */
  poolWaitMs?: number;
  /** Time between probes while the database is down, ms (default 1000). */
  probeIntervalMs?: number;
}

/** `SELECT 1` on a new connection of its own (the pool's own reconnects back off for seconds). */
export async function probePostgres(url: string, connectTimeoutMs: number): Promise<void> {
  const { default: pg } = await loadPg();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  // A connection that breaks after connecting fails the query below; no listener, no crash.
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The store on the database at `url`, failing fast while it is down; `close()` ends it and
 * `warmUp()` opens the pool's connections before the first request (pg_store.ts).
 */
export function createResilientPgStore(
  url: string,
  options: DatabaseOptions = {},
): GuardedStore & { warmUp(): Promise<void> } {
  const connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  const maxConnections = options.maxConnections ?? 4;
  const store = createPgStore(url, {
    statementTimeoutMs: options.statementTimeoutMs,
    connectTimeoutSeconds: connectTimeoutMs / 1000,
    maxConnections,
  });
  const guarded = withCircuitBreaker(store, {
    probe: () => probePostgres(url, connectTimeoutMs),
    maxConcurrent: maxConnections,
    maxWaitMs: options.poolWaitMs ?? 1000,
    probeIntervalMs: options.probeIntervalMs ?? 1000,
    probeTimeoutMs: connectTimeoutMs + 1000,
  });
  return Object.assign(guarded, { warmUp: () => store.warmUp() });
}
