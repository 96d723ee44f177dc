/**
 * OTLP trace exports for the benchmark and the Deno tests: a seeded generator of GenAI
 * agent traces in OTLP/JSON shape, and a small protobuf encoder of that shape, written
 * from the OTLP .proto field numbers — independent of the Rust decoder it feeds.
 *
 * @module
 */

/** An OTLP/JSON `AnyValue`. */
export type AnyValue =
  | { stringValue: string }
  | { intValue: string | number }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | { bytesValue: string };
/** An OTLP/JSON attribute. */
export interface KeyValue {
  key: string;
  value: AnyValue;
}
/** An OTLP/JSON span (the fields the generator writes). */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: KeyValue[];
  events?: { timeUnixNano: string; name: string; attributes: KeyValue[] }[];
  status?: { code: number; message?: string };
}
/** An OTLP/JSON `ExportTraceServiceRequest`. */
export interface OtlpExport {
  resourceSpans: {
    resource: { attributes: KeyValue[] };
    scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[];
  }[];
}

const WORDS = "the agent called a tool model replied with plan next step search fetch parse answer weather city"
  .split(" ");

/** Seeded generator of GenAI agent traces (agent → chat → execute_tool), children first. */
export class GenAiExportGenerator {
  #state: number;
  #clock = 1_767_225_600_000_000_000n;

  /** @param seed any 32-bit number; the same seed gives the same export. */
  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }

  #random(): number {
    // xorshift32
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#state = x >>> 0;
    return this.#state / 2 ** 32;
  }

  #hex(bytes: number): string {
    let s = "";
    for (let i = 0; i < bytes; i++) s += Math.floor(this.#random() * 256).toString(16).padStart(2, "0");
    return s;
  }

  #text(words: number): string {
    const out = [];
    for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(this.#random() * WORDS.length)]);
    return out.join(" ");
  }

  #time(stepMs: number): string {
    this.#clock += BigInt(Math.round(stepMs * 1e6));
    return this.#clock.toString();
  }

  /**
   * An export of exactly `spans` spans (three per trace; the last trace may lack its root,
   * as when a batch processor splits a trace), in one resource and scope.
   */
  export(spans: number): OtlpExport {
    const out: OtlpSpan[] = [];
    for (let t = 0; out.length < spans; t++) {
      const traceId = this.#hex(16);
      const [agentId, chatId, toolId] = [this.#hex(8), this.#hex(8), this.#hex(8)];
      const conversation = { key: "gen_ai.conversation.id", value: { stringValue: `conv-${t % 50}` } };
      const agentStart = this.#time(1);
      const chatStart = this.#time(2);
      const question = this.#text(12);
      const chatEnd = this.#time(400);
      const toolStart = this.#time(1);
      const toolEnd = this.#time(90);
      const answer = this.#text(40);
      const agentEnd = this.#time(5);
      const s = (key: string, v: string): KeyValue => ({ key, value: { stringValue: v } });
      out.push({
        traceId,
        spanId: toolId,
        parentSpanId: chatId,
        name: "execute_tool search",
        kind: 1,
        startTimeUnixNano: toolStart,
        endTimeUnixNano: toolEnd,
        attributes: [
          s("gen_ai.operation.name", "execute_tool"),
          s("gen_ai.tool.name", "search"),
          s("gen_ai.tool.call.id", `call_${t}`),
          conversation,
          s("gen_ai.tool.call.arguments", JSON.stringify({ query: this.#text(4), limit: 5 })),
          s("gen_ai.tool.call.result", JSON.stringify({ results: [this.#text(30), this.#text(30)] })),
        ],
        status: { code: 0 },
      });
      out.push({
        traceId,
        spanId: chatId,
        parentSpanId: agentId,
        name: "chat gpt-4o",
        kind: 3,
        startTimeUnixNano: chatStart,
        endTimeUnixNano: chatEnd,
        attributes: [
          s("gen_ai.operation.name", "chat"),
          s("gen_ai.provider.name", "openai"),
          s("gen_ai.request.model", "gpt-4o"),
          s("gen_ai.response.model", "gpt-4o-2024-08-06"),
          { key: "gen_ai.usage.input_tokens", value: { intValue: String(100 + t % 50) } },
          { key: "gen_ai.usage.output_tokens", value: { intValue: "25" } },
          { key: "gen_ai.request.temperature", value: { doubleValue: 0.2 } },
          conversation,
          s(
            "gen_ai.input.messages",
            JSON.stringify([
              { role: "system", parts: [{ type: "text", content: "You are a research agent." }] },
              { role: "user", parts: [{ type: "text", content: question }] },
            ]),
          ),
          s(
            "gen_ai.output.messages",
            JSON.stringify([{
              role: "assistant",
              parts: [{ type: "text", content: this.#text(60 + Math.floor(this.#random() * 120)) }],
              finish_reason: "stop",
            }]),
          ),
          {
            key: "gen_ai.response.finish_reasons",
            value: { arrayValue: { values: [{ stringValue: "stop" }] } },
          },
        ],
      });
      out.push({
        traceId,
        spanId: agentId,
        parentSpanId: "",
        name: "invoke_agent research-agent",
        kind: 1,
        startTimeUnixNano: agentStart,
        endTimeUnixNano: agentEnd,
        attributes: [
          s("gen_ai.operation.name", "invoke_agent"),
          s("gen_ai.agent.name", "research-agent"),
          conversation,
          s(
            "gen_ai.output.messages",
            JSON.stringify([{ role: "assistant", parts: [{ type: "text", content: answer }] }]),
          ),
        ],
        status: { code: 1 },
      });
    }
    return {
      resourceSpans: [{
        resource: {
          attributes: [
            { key: "service.name", value: { stringValue: "research-agent" } },
            { key: "telemetry.sdk.language", value: { stringValue: "python" } },
          ],
        },
        scopeSpans: [{
          scope: { name: "opentelemetry.instrumentation.genai", version: "0.1.0" },
          spans: out.slice(0, spans),
        }],
      }],
    };
  }
}

/** Protobuf writer: varints, fixed64 and length-delimited fields into a growing buffer. */
class Writer {
  bytes: number[] = [];

  varint(n: bigint | number): void {
    let v = BigInt.asUintN(64, BigInt(n));
    while (v >= 0x80n) {
      this.bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.bytes.push(Number(v));
  }

  key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  bytesField(field: number, data: Uint8Array | number[]): void {
    this.key(field, 2);
    this.varint(data.length);
    for (const b of data) this.bytes.push(b);
  }

  string(field: number, s: string): void {
    if (s !== "") this.bytesField(field, new TextEncoder().encode(s));
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer();
    write(inner);
    this.bytesField(field, inner.bytes);
  }

  fixed64(field: number, n: bigint): void {
    this.key(field, 1);
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((n >> (8n * i)) & 0xffn));
  }

  double(field: number, x: number): void {
    this.key(field, 1);
    const b = new Uint8Array(new Float64Array([x]).buffer);
    for (const v of b) this.bytes.push(v);
  }
}

function hexBytes(hex: string): number[] {
  const out = [];
  for (let i = 0; i < hex.length; i += 2) out.push(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

function writeAnyValue(w: Writer, v: AnyValue): void {
  if ("stringValue" in v) w.bytesField(1, new TextEncoder().encode(v.stringValue));
  else if ("boolValue" in v) (w.key(2, 0), w.varint(v.boolValue ? 1 : 0));
  else if ("intValue" in v) (w.key(3, 0), w.varint(BigInt(v.intValue)));
  else if ("doubleValue" in v) w.double(4, v.doubleValue);
  else if ("arrayValue" in v) {
    w.message(5, (a) => v.arrayValue.values.forEach((x) => a.message(1, (e) => writeAnyValue(e, x))));
  } else if ("kvlistValue" in v) {
    w.message(6, (l) => v.kvlistValue.values.forEach((kv) => l.message(1, (e) => writeKeyValue(e, kv))));
  } else if ("bytesValue" in v) w.bytesField(7, Uint8Array.from(atob(v.bytesValue), (c) => c.charCodeAt(0)));
}

function writeKeyValue(w: Writer, kv: KeyValue): void {
  w.string(1, kv.key);
  w.message(2, (v) => writeAnyValue(v, kv.value));
}

/** The export as `application/x-protobuf` bytes (`opentelemetry.proto.collector.trace.v1`). */
export function encodeExport(e: OtlpExport): Uint8Array {
  const w = new Writer();
  for (const rs of e.resourceSpans) {
    w.message(1, (r) => {
      r.message(1, (res) => rs.resource.attributes.forEach((kv) => res.message(1, (a) => writeKeyValue(a, kv))));
      for (const ss of rs.scopeSpans) {
        r.message(2, (sc) => {
          sc.message(1, (scope) => {
            scope.string(1, ss.scope.name);
            scope.string(2, ss.scope.version);
          });
          for (const span of ss.spans) sc.message(2, (sp) => writeSpan(sp, span));
        });
      }
    });
  }
  return Uint8Array.from(w.bytes);
}

function writeSpan(w: Writer, s: OtlpSpan): void {
  w.bytesField(1, hexBytes(s.traceId));
  w.bytesField(2, hexBytes(s.spanId));
  if (s.parentSpanId) w.bytesField(4, hexBytes(s.parentSpanId));
  w.string(5, s.name);
  if (s.kind) (w.key(6, 0), w.varint(s.kind));
  w.fixed64(7, BigInt(s.startTimeUnixNano));
  w.fixed64(8, BigInt(s.endTimeUnixNano));
  for (const kv of s.attributes) w.message(9, (a) => writeKeyValue(a, kv));
  for (const ev of s.events ?? []) {
    w.message(11, (e) => {
      e.fixed64(1, BigInt(ev.timeUnixNano));
      e.string(2, ev.name);
      for (const kv of ev.attributes) e.message(3, (a) => writeKeyValue(a, kv));
    });
  }
  if (s.status) {
    w.message(15, (st) => {
      if (s.status!.message) st.string(2, s.status!.message);
      if (s.status!.code) (st.key(3, 0), st.varint(s.status!.code));
    });
  }
}
