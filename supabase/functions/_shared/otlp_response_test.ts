import assert from "node:assert/strict";
import { asOtlpStatus, encodeStatus, encodeTraceResponse, statusCodeOf, traceResponseJson } from "./otlp_response.ts";

Deno.test("full success: an empty protobuf message and {} in JSON", () => {
  assert.deepEqual(encodeTraceResponse({ rejectedSpans: 0, errorMessage: "" }), new Uint8Array(0));
  assert.deepEqual(traceResponseJson({ rejectedSpans: 0, errorMessage: "" }), {});
});

Deno.test("partial success: field 1 holding rejected_spans (1, varint) and error_message (2)", () => {
  // 300 = 0xac 0x02 as a varint; "bad" = 3 bytes.
  assert.deepEqual(
    encodeTraceResponse({ rejectedSpans: 300, errorMessage: "bad" }),
    new Uint8Array([0x0a, 8, 0x08, 0xac, 0x02, 0x12, 3, 0x62, 0x61, 0x64]),
  );
  assert.deepEqual(traceResponseJson({ rejectedSpans: 300, errorMessage: "bad" }), {
    partialSuccess: { rejectedSpans: "300", errorMessage: "bad" },
  });
});

Deno.test("a message longer than 127 bytes gets a two-byte length, in the inner and outer fields", () => {
  const message = "é".repeat(100); // 200 UTF-8 bytes
  const bytes = encodeTraceResponse({ rejectedSpans: 1, errorMessage: message });
  // outer: 0x0a, len(2 + 3 + 200 = 205) = 0xcd 0x01; inner: 0x08 0x01, 0x12, 200 = 0xc8 0x01, text
  assert.deepEqual([...bytes.slice(0, 8)], [0x0a, 0xcd, 0x01, 0x08, 0x01, 0x12, 0xc8, 0x01]);
  assert.equal(new TextDecoder().decode(bytes.slice(8)), message);
  assert.equal(bytes.length, 3 + 205);
});

Deno.test("a warning without rejected spans leaves rejected_spans out (proto3 default)", () => {
  assert.deepEqual(
    encodeTraceResponse({ rejectedSpans: 0, errorMessage: "w" }),
    new Uint8Array([0x0a, 3, 0x12, 1, 0x77]),
  );
  assert.deepEqual(traceResponseJson({ rejectedSpans: 0, errorMessage: "w" }), {
    partialSuccess: { errorMessage: "w" },
  });
});

Deno.test("google.rpc.Status: HTTP statuses map to gRPC codes; code and message encoded as protobuf", () => {
  assert.deepEqual([400, 401, 408, 413, 415, 429, 500, 503].map(statusCodeOf), [3, 16, 4, 8, 3, 8, 13, 14]);
  assert.deepEqual([...encodeStatus(14, "down")], [0x08, 14, 0x12, 4, ...new TextEncoder().encode("down")]);
  assert.deepEqual([...encodeStatus(0, "")], [], "proto3 leaves defaults out");
});

Deno.test("asOtlpStatus keeps the status and headers and takes the message from `error`", async () => {
  const answer = new Response(JSON.stringify({ error: "Database unavailable, retry later" }), {
    status: 503,
    headers: { "Content-Type": "application/json", "Retry-After": "5" },
  });
  const json = await asOtlpStatus(answer.clone(), false);
  assert.equal(json.status, 503);
  assert.equal(json.headers.get("retry-after"), "5");
  assert.deepEqual(await json.json(), { code: 14, message: "Database unavailable, retry later" });
  const pb = await asOtlpStatus(answer, true);
  assert.equal(pb.headers.get("content-type"), "application/x-protobuf");
  assert.deepEqual([...new Uint8Array(await pb.arrayBuffer())].slice(0, 2), [0x08, 14]);
});
