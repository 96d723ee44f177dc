import assert from "node:assert/strict";
import type { PreparedBatch } from "./core.ts";
import { type BreakerState, CircuitOpenError, withCircuitBreaker } from "./breaker.ts";
import { StoreError } from "./store.ts";
import type { PromptVersion, Store } from "./store.ts";

/** A store whose calls wait until released, and fail with `failure` while it is set. */
class ControlledStore implements Store {
  calls = 0;
  failure: unknown = null;
  gate: Promise<void> = Promise.resolve();

  async #call<T>(value: T): Promise<T> {
    this.calls++;
    await this.gate;
    if (this.failure) throw this.failure;
    return value;
  }
  resolveApiKey(_: string): Promise<string | null> {
    return this.#call("p");
  }
  ingest(_: string, __: PreparedBatch): Promise<void> {
    return this.#call(undefined);
  }
  ingestOtlp(): Promise<void> {
    return this.#call(undefined);
  }
  resolvePrompt(): Promise<PromptVersion | null> {
    return this.#call(null);
  }
}

const down = () => new StoreError("unavailable", "connect ECONNREFUSED", { code: "ECONNREFUSED" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test("an outage opens the circuit: waiting and later calls are refused at once; a probe closes it", async () => {
  const inner = new ControlledStore();
  let probeOk = false;
  let probes = 0;
  const states: BreakerState[] = [];
  const store = withCircuitBreaker(inner, {
    probe: () => (probes++, probeOk ? Promise.resolve() : Promise.reject(new Error("still down"))),
    maxConcurrent: 2,
    maxWaitMs: 5000,
    probeIntervalMs: 50,
    onStateChange: (s) => states.push(s),
  });
  try {
    let release!: () => void;
    inner.gate = new Promise((r) => release = r);
    inner.failure = down();
    const started = performance.now();
    const calls = Array.from({ length: 10 }, () => store.resolveApiKey("h").then(() => "ok", (e) => e));
    await sleep(20);
    assert.equal(inner.calls, 2, "only the pool's size reaches the database");
    release();
    const results = await Promise.all(calls);
    assert.ok(performance.now() - started < 1000, "the eight waiting calls did not wait out maxWaitMs");
    assert.ok(results.every((r) => r instanceof StoreError && r.kind === "unavailable"));
    assert.equal(results.filter((r) => r instanceof CircuitOpenError).length, 8);
    assert.equal(store.state === "open" || store.state === "half-open", true);

    inner.failure = null;
    await assert.rejects(store.ingest("p", {} as PreparedBatch), CircuitOpenError);
    assert.equal(inner.calls, 2, "nothing reaches the database while open");
    await sleep(180);
    assert.ok(probes >= 2, `${probes} probes`);
    probeOk = true;
    await sleep(120);
    assert.equal(store.state, "closed");
    assert.deepEqual(states, ["open", "closed"]);
    assert.equal(await store.resolveApiKey("h"), "p");
  } finally {
    await store.close();
  }
});

Deno.test("the wait for a free slot is bounded; a statement timeout does not open the circuit", async () => {
  const inner = new ControlledStore();
  const store = withCircuitBreaker(inner, {
    probe: () => Promise.resolve(),
    maxConcurrent: 1,
    maxWaitMs: 100,
    onStateChange: () => {},
  });
  try {
    let release!: () => void;
    inner.gate = new Promise((r) => release = r);
    const first = store.resolveApiKey("h");
    const started = performance.now();
    const second = await store.resolveApiKey("h").catch((e) => e);
    const waited = performance.now() - started;
    assert.ok(second instanceof StoreError && second.kind === "unavailable" && !(second instanceof CircuitOpenError));
    assert.ok(waited >= 90 && waited < 1000, `${waited} ms`);
    assert.equal(inner.calls, 1, "the refused call never reached the database");
    release();
    assert.equal(await first, "p");

    inner.failure = new StoreError("unavailable", "canceling statement due to statement timeout", { code: "57014" });
    await assert.rejects(store.resolveApiKey("h"));
    assert.equal(store.state, "closed");
    inner.failure = null;
    assert.equal(await store.resolveApiKey("h"), "p");
  } finally {
    await store.close();
  }
});

Deno.test("the breaker keeps the store's batch format (the handler asks the core for it)", async () => {
  for (const batchFormat of ["rows", undefined] as const) {
    const inner = Object.assign(new ControlledStore(), { batchFormat });
    const store = withCircuitBreaker(inner, { probe: () => Promise.resolve() });
    try {
      assert.equal(store.batchFormat, batchFormat);
    } finally {
      await store.close();
    }
  }
});
