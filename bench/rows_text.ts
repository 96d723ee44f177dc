/**
 * The rows text of `private.ingest_prepared_rows` (migration 036) built from the core's four
 * prepared JSON lists, for benchmarks until the core emits it itself.
 *
 * Format (one text per list): one line per record, lines separated by LF (no trailing LF; the
 * empty string is no records), fields separated by TAB in the order of {@link ROW_FIELDS}. An
 * absent field is the empty field. `name` is the JSON string literal with its quotes; the
 * JSON fields (metadata, error, attributes, content) are compact JSON text, which holds no
 * TAB, LF or CR (inside strings JSON escapes them). The project id is not in the rows.
 *
 * @module
 */

/** The four record lists of a prepared batch. */
export type ListName = "sessions" | "runs" | "spans" | "events";

/** The fields of one row of each list, in order. */
export const ROW_FIELDS: Record<ListName, readonly string[]> = {
  sessions: ["id", "created_at", "ended_at", "metadata"],
  runs: ["id", "session_id", "name", "started_at", "ended_at", "status", "error", "metadata"],
  spans: [
    "id",
    "run_id",
    "parent_span_id",
    "kind",
    "name",
    "started_at",
    "ended_at",
    "status",
    "error",
    "iteration",
    "attributes",
  ],
  events: ["id", "run_id", "span_id", "type", "created_at", "content", "attributes"],
};

/** Fields carried as raw JSON text (`name` too, as a JSON string literal). */
const JSON_FIELDS = new Set(["metadata", "error", "attributes", "content", "name"]);

/** One field of the rows text: empty when absent, JSON text for JSON fields, else the text. */
function field(record: Record<string, unknown>, name: string): string {
  if (!(name in record)) return "";
  const value = record[name];
  if (JSON_FIELDS.has(name)) return JSON.stringify(value);
  // A JSON null in a plain field is read as SQL NULL by jsonb_to_recordset, as absent is.
  if (value === null) return "";
  return String(value);
}

/** The rows text of one list from its records. */
export function rowsOfRecords(list: ListName, records: Record<string, unknown>[]): string {
  const fields = ROW_FIELDS[list];
  return records.map((record) => fields.map((name) => field(record, name)).join("\t")).join("\n");
}

/** The rows text of one list from the core's JSON text of it. */
export function rowsOfList(list: ListName, json: string): string {
  return rowsOfRecords(list, JSON.parse(json) as Record<string, unknown>[]);
}
