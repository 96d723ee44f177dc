/**
 * A `Store` wrapper that answers fast when the database is down, whatever the concurrency:
 *
 * - **A bounded wait for a connection.** At most `maxConcurrent` calls (the pool's size) run
 *   at once, so the driver never queues one behind connections that are still trying to
 *   connect (or behind a reconnect back-off); a call that finds no free slot within `maxWaitMs` is
 *   refused as unavailable. A call is refused only before it starts, never raced while its
 *   statement runs, so a 503 never hides a write that will commit.
 * - **A circuit breaker.** The first call that fails because the database cannot be reached
 *   opens the circuit: the calls waiting for a slot, and every later call, are refused at
 *   once (503) while a probe (`SELECT 1` on a fresh connection) runs every
 *   `probeIntervalMs` in the background; the probe is the half-open trial, and its success
 *   closes the circuit.
 *
 * Refusals are `StoreError("unavailable")`, which the handlers answer 503 + Retry-After.
 *
 * @module
 */
import { type Store, StoreError } from "./store.ts";

/** `closed`: calls go through; `open`: refused while waiting for the next probe; `half-open`: a probe runs. */
export type BreakerState = "closed" | "open" | "half-open";

/** Settings of the breaker. */
export interface BreakerOptions {
  /** Checks that the database answers (e.g. `SELECT 1` on a fresh connection). */
  probe: () => Promise<unknown>;
  /** Most calls in flight at once: the pool's size (default: no limit). */
  maxConcurrent?: number;
  /** Longest a call waits for a free slot before it is refused, ms (default 1000). */
  maxWaitMs?: number;
  /** Time between probes while the circuit is open, ms (default 1000). */
  probeIntervalMs?: number;
  /** Longest a probe may take before it counts as failed, ms (default 2000). */
  probeTimeoutMs?: number;
  /** Told of each change of state (default: one JSON log line). */
  onStateChange?: (state: BreakerState, reason: string) => void;
}

/** A store behind a circuit breaker. */
export interface GuardedStore extends Store {
  /** The breaker's state now. */
  readonly state: BreakerState;
  /** Stops probing, refuses later calls, and closes the inner store when it can be closed. */
  close(): Promise<void>;
}

/** Failures that say "busy" or "slow", not "down": they do not open the circuit. */
const NOT_AN_OUTAGE = /^(57014|40001|40P01)$/;

/** Whether a store failure means the database cannot be reached (and should open the circuit). */
export function isOutage(e: unknown): boolean {
  if (!(e instanceof StoreError) || e.kind !== "unavailable" || e instanceof CircuitOpenError) return false;
  const code = (e.cause as { code?: unknown } | undefined)?.code;
  return !(typeof code === "string" && NOT_AN_OUTAGE.test(code));
}

/** A call refused by the breaker, without trying the database. */
export class CircuitOpenError extends StoreError {
  constructor(message: string) {
    super("unavailable", message);
  }
}

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Wraps `inner` in a bounded wait for a slot and a circuit breaker. */
export function withCircuitBreaker(inner: Store & { close?(): Promise<void> }, options: BreakerOptions): GuardedStore {
  const maxWaitMs = options.maxWaitMs ?? 1000;
  const probeIntervalMs = options.probeIntervalMs ?? 1000;
  const probeTimeoutMs = options.probeTimeoutMs ?? 2000;
  const notify = options.onStateChange ??
    ((state, reason) => console.log(JSON.stringify({ fn: "database", circuit: state, reason })));
  let state: BreakerState = "closed";
  let lastFailure = "";
  let inFlight = 0;
  const waiters: Waiter[] = [];
  let probeTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const refusal = () =>
    new CircuitOpenError(
      closed ? "the store is closed" : `Database unavailable (circuit ${state} after: ${lastFailure})`,
    );

  function acquire(): Promise<void> {
    if (state !== "closed" || closed) return Promise.reject(refusal());
    if (options.maxConcurrent === undefined || inFlight < options.maxConcurrent) {
      inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new StoreError("unavailable", `No database connection became free within ${maxWaitMs} ms`));
        }, maxWaitMs),
      };
      waiters.push(waiter);
    });
  }

  function release(): void {
    const next = waiters.shift();
    if (next) {
      // The slot passes straight to the next waiter.
      clearTimeout(next.timer);
      next.resolve();
    } else {
      inFlight--;
    }
  }

  function schedule(): void {
    if (closed) return;
    probeTimer = setTimeout(probe, probeIntervalMs);
    // Probing alone must not keep a process alive.
    const timer = probeTimer as unknown;
    if (typeof timer === "number") Deno.unrefTimer(timer);
    else (timer as { unref?(): void }).unref?.();
  }

  async function probe(): Promise<void> {
    probeTimer = undefined;
    if (closed) return;
    state = "half-open";
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        options.probe(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`probe took over ${probeTimeoutMs} ms`)), probeTimeoutMs);
        }),
      ]);
      if (closed) return;
      state = "closed";
      notify("closed", "the probe succeeded");
    } catch (e) {
      if (closed) return;
      lastFailure = e instanceof Error ? e.message : String(e);
      state = "open";
      schedule();
    } finally {
      clearTimeout(timer);
    }
  }

  function trip(e: unknown): void {
    if (state !== "closed" || closed) return;
    lastFailure = e instanceof Error ? e.message : String(e);
    state = "open";
    notify("open", lastFailure);
    for (const waiter of waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(refusal());
    }
    schedule();
  }

  async function call<T>(work: () => Promise<T>): Promise<T> {
    await acquire(); // a refused call never held a slot, so it releases none
    try {
      return await work();
    } catch (e) {
      if (isOutage(e)) trip(e);
      throw e;
    } finally {
      release();
    }
  }

  return {
    get state() {
      return state;
    },
    batchFormat: inner.batchFormat,
    resolveApiKey: (keyHash) => call(() => inner.resolveApiKey(keyHash)),
    ingest: (projectId, batch) => call(() => inner.ingest(projectId, batch)),
    ingestOtlp: (projectId, prepared) => call(() => inner.ingestOtlp(projectId, prepared)),
    resolvePrompt: (projectId, slug, label, version) =>
      call(() => inner.resolvePrompt(projectId, slug, label, version)),
    async close() {
      closed = true;
      clearTimeout(probeTimer);
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(refusal());
      }
      await inner.close?.();
    },
  };
}
