/**
 * PostgreSQL's binary format for one-dimensional arrays, as `array_recv` reads a bind
 * parameter sent with format code 1: for bench:db's binary floor (typed columns sent as
 * binary bind parameters instead of rows text). Element types: uuid, timestamptz, text,
 * int4 and jsonb, each in its own binary form (`uuid_recv`, `timestamptz_recv`, …).
 *
 * Layout (big-endian): ndim = 1, has-nulls flag, element type OID, then the dimension's
 * length and lower bound (1), then each element as its byte length (-1 for NULL) and bytes.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** The element types this encoder writes, with their built-in type OIDs (pg_type). */
export const ELEMENT_OIDS = { uuid: 2950, timestamptz: 1184, text: 25, int4: 23, jsonb: 3802 } as const;
export type ElementType = keyof typeof ELEMENT_OIDS;

/** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC). */
const PG_EPOCH_MICROS = 946_684_800_000_000n;
const encoder = new TextEncoder();

/**
 * Microseconds since 2000-01-01 UTC of an RFC 3339 timestamp, rounded to the microsecond
 * as PostgreSQL rounds a longer fraction (half away from zero).
 */
export function pgMicros(timestamp: string): bigint {
  const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i.exec(timestamp);
  if (!m) throw new Error(`not an RFC 3339 timestamp: ${timestamp}`);
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) throw new Error(`not an RFC 3339 timestamp: ${timestamp}`);
  const fraction = (m[2] ?? "").padEnd(7, "0");
  let micros = BigInt(fraction.slice(0, 6));
  if (fraction[6] >= "5") micros += 1n;
  return BigInt(seconds) * 1000n + micros - PG_EPOCH_MICROS;
}

function element(type: ElementType, value: unknown): Uint8Array {
  switch (type) {
    case "uuid": {
      const hex = String(value).replaceAll("-", "");
      if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${value}`);
      const out = new Uint8Array(16);
      for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
    case "timestamptz": {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, pgMicros(String(value)));
      return out;
    }
    case "int4": {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, Number(value));
      return out;
    }
    case "jsonb": {
      // jsonb_recv: a version byte (1), then the JSON text.
      const text = encoder.encode(JSON.stringify(value));
      const out = new Uint8Array(text.length + 1);
      out[0] = 1;
      out.set(text, 1);
      return out;
    }
    case "text":
      return encoder.encode(String(value));
  }
}

/**
 * `values` as one binary array of `type` (`undefined` and `null` are NULL), in a Buffer:
 * npm:pg sends a Buffer parameter in binary format, so `$n::uuid[]` receives it as is.
 */
export function binaryArray(type: ElementType, values: readonly unknown[]): Buffer {
  const elements = values.map((v) => v === undefined || v === null ? null : element(type, v));
  const size = elements.reduce((n, e) => n + 4 + (e?.length ?? 0), 20);
  const out = Buffer.alloc(size);
  out.writeInt32BE(1, 0);
  out.writeInt32BE(elements.some((e) => e === null) ? 1 : 0, 4);
  out.writeInt32BE(ELEMENT_OIDS[type], 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16);
  let at = 20;
  for (const e of elements) {
    out.writeInt32BE(e === null ? -1 : e.length, at);
    at += 4;
    if (e !== null) {
      out.set(e, at);
      at += e.length;
    }
  }
  return out;
}
