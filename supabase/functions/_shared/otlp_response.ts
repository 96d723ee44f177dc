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

/**
 * The `google.rpc.Status` code for an HTTP status of a refused export (OTLP/HTTP says the body
 * of every 4xx and 5xx answer is a Status): the nearest gRPC code, INTERNAL for the rest.
 */
export function statusCodeOf(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
    case 415:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 405:
      return 12; // UNIMPLEMENTED
    case 408:
      return 4; // DEADLINE_EXCEEDED
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return 13; // INTERNAL
  }
}

/** The protobuf `google.rpc.Status`: `code` (1, int32) and `message` (2, string). */
export function encodeStatus(code: number, message: string): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  if (code !== 0) out.push(0x08, ...varint(code));
  if (message !== "") {
    const text = new TextEncoder().encode(message);
    out.push(0x12, ...varint(text.length), ...text);
  }
  return new Uint8Array(out);
}

/**
 * An error answer of the OTLP route re-written as a `google.rpc.Status` in the request's
 * encoding (protobuf or OTLP/JSON `{code, message}`), keeping its status and headers (CORS,
 * Retry-After). The message is the answer's `error` text.
 */
export async function asOtlpStatus(answer: Response, protobuf: boolean): Promise<Response> {
  let message = answer.statusText;
  try {
    const body = await answer.json();
    if (typeof body?.error === "string") message = body.error;
  } catch { /* not JSON: keep the status text */ }
  const code = statusCodeOf(answer.status);
  const headers = new Headers(answer.headers);
  if (protobuf) {
    headers.set("Content-Type", "application/x-protobuf");
    return new Response(encodeStatus(code, message), { status: answer.status, headers });
  }
  headers.set("Content-Type", "application/json");
  return new Response(JSON.stringify({ code, message }), { status: answer.status, headers });
}
