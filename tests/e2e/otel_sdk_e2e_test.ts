// The real OpenTelemetry Python SDK (opentelemetry-sdk + opentelemetry-exporter-otlp-proto-http,
// a batch span processor exporting one span per request: children first, root last) sends a
// GenAI agent trace to the OTLP endpoint over HTTP, on PostgreSQL 15; the stored session, run,
// spans and events and the dashboard read models show the trace. Needs the SDK in a venv:
//   python3 -m venv .tools/otel-py && .tools/otel-py/bin/pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { createIngestHandler } from "../../supabase/functions/_shared/ingest.ts";
import { createPgStore } from "../../supabase/functions/_shared/pg_store.ts";
import { granted, readVariable, reportSkip, requirePermissions, requirePostgres } from "./_requires.ts";

const SUITE = "the OpenTelemetry Python SDK end to end on PostgreSQL 15";
const PYTHON = new URL("../../.tools/otel-py/bin/python", import.meta.url);
const SCRIPT = new URL("./otel/python_agent.py", import.meta.url);
const PROJECT = "cccccccc-0000-4000-8000-000000000014";
const KEY = "ns_e2e_key_for_otel_python";

/** `ignore` when the venv with the SDK is missing (one line saying how to make it). */
function requirePythonSdk(): boolean {
  if (!granted({ name: "read", path: PYTHON })) return false; // requirePermissions reports it
  try {
    Deno.statSync(PYTHON);
    return false;
  } catch {
    reportSkip(SUITE, "no .tools/otel-py (the OpenTelemetry Python SDK)", "see the header of this file");
    return true;
  }
}

const url = readVariable("SUPABASE_DB_URL");

Deno.test({
  name: SUITE,
  ignore: requirePostgres(SUITE) ||
    requirePermissions(SUITE, "to run python", { name: "run" }, { name: "read", path: PYTHON }) ||
    requirePythonSdk(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sql = postgres(url!, { onnotice: () => {}, max: 2 });
    const store = createPgStore(url!, { connectTimeoutSeconds: 2 });
    const lines: Record<string, any>[] = [];
    const handler = createIngestHandler(store, { log: (l) => lines.push(structuredClone(l)) });
    const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, handler);
    try {
      await sql`SELECT public.create_or_rotate_project_api_key(${PROJECT}, 'otel', gen_random_uuid(), ${
        hash_api_key(KEY)
      })`;
      const out = await new Deno.Command(PYTHON, {
        args: [SCRIPT.pathname],
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${server.addr.port}/functions/v1/ingest-traces`,
          OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer ${KEY}`,
        },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      assert.equal(stderr.trim(), "", "the exporter reported no failure");
      const traceId = new TextDecoder().decode(out.stdout).trim();
      assert.match(traceId, /^[0-9a-f]{32}$/);

      const otlp = lines.filter((l) => l.otlp === "protobuf");
      assert.ok(otlp.length >= 3, `one span per request: ${otlp.length} requests`);
      assert.ok(otlp.every((l) => l.status === 200 && l.rejected_spans === 0), JSON.stringify(otlp));

      const [run] = await sql`SELECT * FROM private.runs WHERE project_id = ${PROJECT}
        AND metadata->>'otel.trace_id' = ${traceId}`;
      assert.ok(run, "the run is stored");
      assert.deepEqual([run.name, run.status, run.otlp_has_root, run.error], [
        "invoke_agent weather",
        "ok",
        true,
        null,
      ]);
      assert.equal(run.metadata["otel.resource"]["service.name"], "python-agent");
      const [session] = await sql`SELECT * FROM private.sessions WHERE id = ${run.session_id}`;
      assert.equal(session.metadata["otel.session.id"], "conv-python-1");
      assert.equal(session.created_at.toISOString(), run.started_at.toISOString());
      assert.equal(
        Number((await sql`SELECT count(*) AS n FROM private.sessions WHERE project_id = ${PROJECT}`)[0].n),
        1,
        "no session left behind by the provisional run",
      );

      const spans = await sql`SELECT * FROM private.spans WHERE run_id = ${run.id} ORDER BY started_at`;
      assert.deepEqual(spans.map((s) => [s.kind, s.name, s.status]), [
        ["agent", "invoke_agent weather", "ok"],
        ["model", "chat gpt-4o", "ok"],
        ["tool", "execute_tool get_weather", "error"],
      ]);
      assert.deepEqual(spans.map((s) => s.parent_span_id), [null, spans[0].id, spans[1].id], "the tree is the trace's");
      assert.ok(spans.every((s) => s.pending_parent_span_id === null), "nothing left waiting");
      assert.equal(spans[1].attributes.model, "gpt-4o");
      assert.equal(spans[1].attributes.input_tokens, 120);
      assert.equal(spans[1].attributes.output_tokens, 30);
      assert.equal(spans[2].error.message, "weather service timed out");

      const events = await sql`SELECT type, content, span_id FROM private.events WHERE run_id = ${run.id}
        ORDER BY created_at, type`;
      const types = events.map((e) => e.type);
      for (const t of ["user_input", "assistant_message", "tool_arguments"]) assert.ok(types.includes(t), types.join());
      assert.ok(events.some((e) => e.content === "Weather in Paris?" && e.span_id === spans[1].id));

      const traces = await sql`SELECT * FROM public.dashboard_list_traces(${PROJECT}, ${run.session_id})`;
      assert.equal(traces.length, 1);
      assert.equal(Number(traces[0].input_tokens), 120);
      assert.equal(traces[0].model, "gpt-4o");
      const listed = await sql`SELECT * FROM public.dashboard_list_trace_spans(${PROJECT}, ${run.id})`;
      assert.equal(listed.length, 3);
      const [cost] = await sql`SELECT * FROM public.dashboard_project_cost_summary(${PROJECT}, '2000-01-01')`;
      assert.equal(Number(cost.run_count), 1);
      assert.equal(Number(cost.output_tokens), 30);
    } finally {
      await server.shutdown();
      await store.close();
      await sql.end();
    }
  },
});
