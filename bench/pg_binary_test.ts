import { deepEqual as assertEquals, equal, throws as assertThrows } from "node:assert/strict";
import { binaryArray, pgMicros } from "./pg_binary.ts";

/** The first `n` big-endian int32 words of `b`. */
const words = (b: Uint8Array, n: number) =>
  Array.from({ length: n }, (_, i) => new DataView(b.buffer, b.byteOffset).getInt32(4 * i));

Deno.test("pgMicros counts from 2000-01-01 UTC and rounds a longer fraction as PostgreSQL does", () => {
  assertEquals(pgMicros("2000-01-01T00:00:00Z"), 0n);
  assertEquals(pgMicros("2000-01-01T00:00:00.000001Z"), 1n);
  assertEquals(pgMicros("1999-12-31T23:59:59.5Z"), -500_000n);
  assertEquals(pgMicros("2000-01-01T01:00:00+01:00"), 0n);
  assertEquals(pgMicros("2000-01-01T00:00:00.0000015Z"), 2n);
  assertEquals(pgMicros("2000-01-01T00:00:00.0000014999Z"), 1n);
  assertEquals(pgMicros("2025-03-01T12:00:01.028530Z"), 794_145_601_028_530n);
  assertThrows(() => pgMicros("2025-03-01 12:00:01"));
});

Deno.test("binaryArray writes array_recv's layout: header, then length-prefixed elements, -1 for NULL", () => {
  // ndim 1, has NULLs, int4 (23), 3 elements from index 1; then (4) 7, NULL, (4) -2
  const ints = binaryArray("int4", [7, null, -2]);
  assertEquals(ints.length, 40);
  assertEquals(words(ints, 10), [1, 1, 23, 3, 1, 4, 7, -1, 4, -2]);

  const ids = binaryArray("uuid", ["00112233-4455-6677-8899-aabbccddeeff"]);
  assertEquals(words(ids, 6), [1, 0, 2950, 1, 1, 16]);
  assertEquals([...ids.subarray(24)], [
    0x00,
    0x11,
    0x22,
    0x33,
    0x44,
    0x55,
    0x66,
    0x77,
    0x88,
    0x99,
    0xaa,
    0xbb,
    0xcc,
    0xdd,
    0xee,
    0xff,
  ]);

  // jsonb: version byte 1, then the JSON text; text: the UTF-8 bytes
  const json = binaryArray("jsonb", [{ a: "é" }]);
  assertEquals(words(json, 6), [1, 0, 3802, 1, 1, 11]); // 1 + 10 bytes (é is 2)
  equal(json[24], 1);
  assertEquals(new TextDecoder().decode(json.subarray(25)), '{"a":"é"}');
  const text = binaryArray("text", ["tab\there"]);
  assertEquals(words(text, 6), [1, 0, 25, 1, 1, 8]);
  assertEquals(new TextDecoder().decode(text.subarray(24)), "tab\there");

  const times = binaryArray("timestamptz", ["2000-01-01T00:00:01Z"]);
  assertEquals(words(times, 6), [1, 0, 1184, 1, 1, 8]);
  assertEquals(new DataView(times.buffer, times.byteOffset).getBigInt64(24), 1_000_000n);

  assertEquals(words(binaryArray("uuid", []), 5), [1, 0, 2950, 0, 1]);
  assertThrows(() => binaryArray("uuid", ["not-a-uuid"]));
});
