/**
 * OTLP/HTTP `ExportTraceServiceResponse` bodies, in the request's own encoding. The message
 * has one field, `partial_success` (1), itself `rejected_spans` (1, int64) and
 * `error_message` (2, string); the protobuf form is written by hand (a few bytes), the JSON
 * form follows OTLP/JSON (camelCase names, 64-bit integers as decimal strings).
 *
 * @module
 */

/** What the server could not store of an export (both zero/empty: full success). */
export interface PartialSuccess {
  rejectedSpans: number;
  errorMessage: string;
}

/** `n` as a protobuf base-128 varint (non-negative integers up to 2^53). */
function varint(n: number): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(n));
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/**
 * The protobuf `ExportTraceServiceResponse`: empty on full success, else `partial_success`
 * with the fields that are not their default (proto3 leaves defaults out).
 */
export function encodeTraceResponse(partial: PartialSuccess): Uint8Array {
  if (partial.rejectedSpans <= 0 && partial.errorMessage === "") return new Uint8Array(0);
  const inner: number[] = [];
  if (partial.rejectedSpans > 0) inner.push(0x08, ...varint(partial.rejectedSpans));
  if (partial.errorMessage !== "") {
    const text = new TextEncoder().encode(partial.errorMessage);
    inner.push(0x12, ...varint(text.length), ...text);
  }
  return new Uint8Array([0x0a, ...varint(inner.length), ...inner]);
}

/** The OTLP/JSON `ExportTraceServiceResponse`: `{}` on full success. */
export function traceResponseJson(partial: PartialSuccess): Record<string, unknown> {
  if (partial.rejectedSpans <= 0 && partial.errorMessage === "") return {};
  const body: Record<string, unknown> = {};
  if (partial.rejectedSpans > 0) body.rejectedSpans = String(partial.rejectedSpans);
  if (partial.errorMessage !== "") body.errorMessage = partial.errorMessage;
  return { partialSuccess: body };
}
