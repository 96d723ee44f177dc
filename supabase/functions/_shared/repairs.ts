/**
 * Repairs instead of refusals, on the HTTP side: the limits the ingest handler applies (and
 * their defaults in normal and strict mode), and the warnings a 200 answer carries. The core
 * (`src/repair.rs`) makes the repairs; the store files `warning_rows` in the batch's
 * transaction (`private.record_ingest_warnings`).
 *
 * @module
 */
import type { Limits, PreparedBatch, Warnings } from "./core.ts";

/** The settings of repairs. */
export interface RepairOptions {
  /**
   * Refuse instead of repair (`NORTHSTAR_STRICT=1`): NUL and unpaired surrogates are 400s,
   * string values are never cut, at most 500 scores, and the body limits of before (10 MiB on
   * the wire, 32 MiB decompressed) unless set.
   */
  strict?: boolean;
  /** Longest string value kept whole, UTF-8 bytes of its decoded text (default 1 MiB). */
  maxFieldBytes?: number;
}

const MIB = 1024 * 1024;

/**
 * Default body limit, on the wire and decompressed. A whole request costs about 7 MB of
 * peak memory per MiB of body over a 60 MB base (`bash bench/memory.sh`): 16 MiB peaked at
 * 176–198 MB, inside an Edge Function's 256 MB with room for a second request's start; 24 MiB
 * reached 233–253 MB and 32 MiB (the old decompressed limit) 292–328 MB.
 */
export const DEFAULT_MAX_BODY_BYTES = 16 * MIB;

/**
 * Default record limit: the core's ceiling. The SDK caps its queue of sessions, runs, spans and
 * events but not its scores and prompt links, so a flush can pass 10,000 records; memory is
 * bounded by the body limit (a 16 MiB body of 50,000 records peaked at 203 MB).
 */
export const DEFAULT_MAX_RECORDS = 100_000;
/** The record limit before repairs existed, kept in strict mode. */
export const STRICT_MAX_RECORDS = 10_000;

/** The body limits before repairs existed, kept in strict mode. */
export const STRICT_MAX_BODY_BYTES = 10 * MIB;
/** The decompressed limit before repairs existed, kept in strict mode. */
export const STRICT_MAX_DECOMPRESSED_BYTES = 32 * MIB;

/** The handler's body limits for these options. */
export function transportLimitsOf(
  options: { maxBodyBytes?: number; maxDecompressedBytes?: number } & RepairOptions,
): { maxBodyBytes: number; maxDecompressedBytes: number } {
  const maxBodyBytes = options.maxBodyBytes ?? (options.strict ? STRICT_MAX_BODY_BYTES : DEFAULT_MAX_BODY_BYTES);
  // The decompressed body is what the request holds in memory, so it shares the default.
  const decompressed = options.strict ? STRICT_MAX_DECOMPRESSED_BYTES : DEFAULT_MAX_BODY_BYTES;
  return { maxBodyBytes, maxDecompressedBytes: options.maxDecompressedBytes ?? Math.max(decompressed, maxBodyBytes) };
}

/** The core's limits: the decompressed body limit, records, field size and strictness. */
export function coreLimitsOf(
  options: { maxRecords?: number } & RepairOptions,
  transport: { maxDecompressedBytes: number },
): Limits {
  const maxRecords = options.maxRecords ?? (options.strict ? STRICT_MAX_RECORDS : DEFAULT_MAX_RECORDS);
  const limits: Limits = { maxBodyBytes: transport.maxDecompressedBytes, maxRecords };
  if (options.maxFieldBytes !== undefined) limits.maxFieldBytes = options.maxFieldBytes;
  if (options.strict) limits.strict = true;
  return limits;
}

/** The warning keys of a 200 answer, or `undefined` when nothing was repaired. */
export function warningsOf(prepared: PreparedBatch): Warnings | undefined {
  if (!prepared.warnings || prepared.warnings.length === 0) return undefined;
  return {
    warnings: prepared.warnings,
    warnings_total: prepared.warnings_total ?? prepared.warnings.length,
    warnings_truncated: prepared.warnings_truncated ?? false,
  };
}
