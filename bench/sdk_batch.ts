/**
 * Deterministic generator of SDK-shaped ingest batches (the shapes, key order, id and
 * timestamp formats of ingest-api.md §6.3), for benchmarks and load tests.
 *
 * @module
 */

/** A small seeded PRNG (mulberry32) for the content (texts, timings, shapes); ids come from
 * `crypto.randomUUID()` instead: 32 bits of state would repeat ids across seeds and runs. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the agent looked up the current api documentation and summarized the relevant sections " +
  "for the user including rate limits authentication pagination errors retries and examples " +
  "tool call returned results model responded with a plan next step search fetch parse answer"
).split(" ");

/** Builds SDK-shaped batches from one seed. */
export class BatchGenerator {
  #random: () => number;
  #clock = Date.UTC(2025, 2, 1, 12, 0, 0);

  constructor(seed = 42) {
    this.#random = prng(seed);
  }

  /** A fresh random (version 4) UUID: 122 random bits, so ids never collide across batches. */
  uuid(): string {
    return crypto.randomUUID();
  }

  /** The next timestamp, as the SDK writes it: UTC, six fraction digits, `Z`. */
  time(): string {
    this.#clock += 1 + Math.floor(this.#random() * 500);
    const micros = String(Math.floor(this.#random() * 1000)).padStart(3, "0");
    return new Date(this.#clock).toISOString().replace("Z", `${micros}Z`);
  }

  text(words: number): string {
    return Array.from({ length: words }, () => WORDS[Math.floor(this.#random() * WORDS.length)]).join(" ");
  }

  /** One trace: a run, an agent span with model and tool children, their events, a score. */
  trace(sessionId: string) {
    const runId = this.uuid();
    const runStart = this.time();
    const agent = {
      id: this.uuid(),
      run_id: runId,
      kind: "agent",
      name: "iteration-1",
      started_at: this.time(),
      ended_at: "",
      status: "ok",
      iteration: 1,
      attributes: {},
    };
    const spans: Record<string, unknown>[] = [agent];
    const events: Record<string, unknown>[] = [{
      id: this.uuid(),
      run_id: runId,
      type: "user_input",
      created_at: this.time(),
      content: this.text(40 + Math.floor(this.#random() * 160)),
      attributes: {},
    }];
    const steps = 2 + Math.floor(this.#random() * 3);
    for (let s = 0; s < steps; s++) {
      const model = this.#random() < 0.5;
      const span: Record<string, unknown> = {
        id: this.uuid(),
        run_id: runId,
        parent_span_id: agent.id,
        kind: model ? "model" : "tool",
        name: model ? "responses.create" : "search-docs",
        started_at: this.time(),
        ended_at: this.time(),
        status: "ok",
        attributes: model
          ? {
            model: "gpt-4o",
            input_tokens: 100 + s,
            output_tokens: 25,
            total_tokens: 125 + s,
            cost_usd: 0.00125,
            pricing_source: "litellm",
            latency_ms: 812,
          }
          : { tool_type: "http", latency_ms: 95 },
      };
      spans.push(span);
      if (!model) {
        events.push({
          id: this.uuid(),
          run_id: runId,
          span_id: span.id,
          type: "tool_arguments",
          created_at: this.time(),
          content: { query: this.text(4), limit: 5 },
          attributes: {},
        });
        events.push({
          id: this.uuid(),
          run_id: runId,
          span_id: span.id,
          type: "tool_result",
          created_at: this.time(),
          content: { results: [this.text(60), this.text(60), this.text(60)], took_ms: 95 },
          attributes: {},
        });
      } else {
        events.push({
          id: this.uuid(),
          run_id: runId,
          span_id: span.id,
          type: "assistant_message",
          created_at: this.time(),
          content: this.text(80 + Math.floor(this.#random() * 220)),
          attributes: {},
        });
      }
    }
    agent.ended_at = this.time();
    events.push({
      id: this.uuid(),
      run_id: runId,
      type: "final_response",
      created_at: this.time(),
      content: this.text(60 + Math.floor(this.#random() * 120)),
      attributes: {},
    });
    const run = {
      id: runId,
      session_id: sessionId,
      name: "research-agent",
      started_at: runStart,
      ended_at: this.time(),
      status: "ok",
      metadata: {
        project: "bench",
        environment: "production",
        tags: ["bench"],
        latency_ms: 2300,
        cost_usd: 0.0025,
        total_input_tokens: 200,
        total_output_tokens: 50,
      },
    };
    const score = {
      id: this.uuid(),
      trace_id: runId,
      name: "relevance",
      value: Math.round(this.#random() * 100) / 100,
      data_type: "numeric",
      source: "api",
      created_at: this.time(),
    };
    return { run, spans, events, score };
  }

  /**
   * Adds whole traces (a new session every ten) to an empty batch while `more` says so;
   * with `scores`, one score per trace up to the contract's 500. Returns the batch and the
   * approximate length of its compact JSON.
   */
  #fill(more: (batch: Batch, traces: number, bytes: number) => boolean, scores: boolean) {
    const batch: Batch = {
      schema_version: 2,
      sessions: [],
      runs: [],
      spans: [],
      events: [],
      scores: [],
      prompt_links: [],
    };
    let bytes = 100;
    let sessionId = "";
    for (let t = 0; more(batch, t, bytes); t++) {
      if (t % 10 === 0) {
        sessionId = this.uuid();
        const session = { id: sessionId, created_at: this.time(), metadata: { source: "bench" } };
        batch.sessions.push(session);
        bytes += JSON.stringify(session).length + 1;
      }
      const { run, spans, events, score } = this.trace(sessionId);
      batch.runs.push(run);
      batch.spans.push(...spans);
      batch.events.push(...events);
      if (scores && batch.scores.length < 500) batch.scores.push(score);
      bytes += JSON.stringify({ run, spans, events, score }).length;
    }
    return batch;
  }

  /** A batch of exactly `records` records (whole traces; the last trace is cut to fit,
   * leaves first: its events, then its spans, children before the agent), without scores. */
  batchOfRecords(records: number): Batch {
    const batch = this.#fill((b) => recordCount(b) < records, false);
    const lastRun = (batch.runs.at(-1) as { id: string }).id;
    const ofLastRun = (r: unknown) => (r as { run_id: string }).run_id === lastRun;
    // The batch was short of `records` before the last trace, so the cut stays inside it.
    while (recordCount(batch) > records && batch.events.length > 0 && ofLastRun(batch.events.at(-1))) {
      batch.events.pop();
    }
    while (recordCount(batch) > records && batch.spans.length > 0 && ofLastRun(batch.spans.at(-1))) batch.spans.pop();
    if (recordCount(batch) > records && batch.sessions.length > 1) {
      // Only the last trace's run and its new session are left: the run joins the previous session.
      batch.sessions.pop();
      (batch.runs.at(-1) as { session_id: string }).session_id = (batch.sessions.at(-1) as { id: string }).id;
    }
    return batch;
  }

  /** A batch whose compact JSON is about `targetBytes` long (at least one trace). */
  batch(targetBytes: number): Batch {
    return this.#fill((_, traces, bytes) => traces === 0 || bytes < targetBytes, true);
  }
}

/** An ingest batch as the SDK builds it. */
export interface Batch {
  schema_version: number;
  sessions: unknown[];
  runs: unknown[];
  spans: unknown[];
  events: unknown[];
  scores: unknown[];
  prompt_links: unknown[];
}

/** Records in a batch, all lists together. */
export function recordCount(batch: Batch): number {
  return batch.sessions.length + batch.runs.length + batch.spans.length + batch.events.length +
    batch.prompt_links.length + batch.scores.length;
}
