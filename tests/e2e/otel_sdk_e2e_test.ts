// The real OpenTelemetry SDKs send a GenAI agent trace to the OTLP endpoint over HTTP, on
// PostgreSQL 15, each with a batch span processor exporting one span per request (children
// first, root last): Python (opentelemetry-sdk + opentelemetry-exporter-otlp-proto-http,
// protobuf) and JavaScript (@opentelemetry/sdk-trace-base + exporter-trace-otlp-http, JSON,
// run by node). The stored session, run, spans and events and the dashboard read models show
// the trace. Each SDK's suite skips with one line when it is not installed:
//   python3 -m venv .tools/otel-py && .tools/otel-py/bin/pip install opentelemetry-sdk opentelemetry-exporter-otlp-proto-http
//   (mkdir .tools/otel-js; echo '{"private":true}' > .tools/otel-js/package.json; npm install --prefix .tools/otel-js \
//     @opentelemetry/api @opentelemetry/sdk-trace-base @opentelemetry/exporter-trace-otlp-http @opentelemetry/resources)
import assert from "node:assert/strict";
import postgres from "npm:postgres@3.4.9";
import { hash_api_key } from "../../supabase/functions/_shared/core.ts";
import { createIngestHandler } from "../../supabase/functions/_shared/ingest.ts";
import { createPgStore } from "../../supabase/functions/_shared/pg_store.ts";
import { granted, readVariable, reportSkip, requirePermissions, requirePostgres } from "./_requires.ts";

interface Sdk {
  suite: string;
  /** What must exist for the suite to run. */
  installed: URL;
  command: string;
  args: string[];
  env: Record<string, string>;
  encoding: "protobuf" | "json";
  service: string;
  conversation: string;
  project: string;
  key: string;
}

const TOOLS = new URL("../../.tools/", import.meta.url);
const SDKS: Sdk[] = [{
  suite: "the OpenTelemetry Python SDK end to end on PostgreSQL 15",
  installed: new URL("otel-py/bin/python", TOOLS),
  command: new URL("otel-py/bin/python", TOOLS).pathname,
  args: [new URL("./otel/python_agent.py", import.meta.url).pathname],
  env: {},
  encoding: "protobuf",
  service: "python-agent",
  conversation: "conv-python-1",
  project: "cccccccc-0000-4000-8000-000000000014",
  key: "ns_e2e_key_for_otel_python",
}, {
  suite: "the OpenTelemetry JS SDK end to end on PostgreSQL 15",
  installed: new URL("otel-js/node_modules/@opentelemetry/exporter-trace-otlp-http/package.json", TOOLS),
  command: "node",
  args: [new URL("./otel/js_agent.cjs", import.meta.url).pathname],
  env: { NODE_PATH: new URL("otel-js/node_modules", TOOLS).pathname },
  encoding: "json",
  service: "js-agent",
  conversation: "conv-js-1",
  project: "cccccccc-0000-4000-8000-000000000015",
  key: "ns_e2e_key_for_otel_js",
}];

/** `ignore` when the SDK is not installed under .tools/ (one line saying how to install it). */
function requireSdk(sdk: Sdk): boolean {
  if (!granted({ name: "read", path: sdk.installed })) return false; // requirePermissions reports it
  try {
    Deno.statSync(sdk.installed);
    return false;
  } catch {
    reportSkip(sdk.suite, `not installed (${sdk.installed.pathname})`, "see the header of this file");
    return true;
  }
}

const url = readVariable("SUPABASE_DB_URL");

for (const sdk of SDKS) {
  Deno.test({
    name: sdk.suite,
    ignore: requirePostgres(sdk.suite) ||
      requirePermissions(sdk.suite, `to run ${sdk.command}`, { name: "run" }, { name: "read", path: sdk.installed }) ||
      requireSdk(sdk),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const { project: PROJECT, key: KEY } = sdk;
      const sql = postgres(url!, { onnotice: () => {}, max: 2 });
      const store = createPgStore(url!, { connectTimeoutSeconds: 2 });
      const lines: Record<string, any>[] = [];
      const handler = createIngestHandler(store, { log: (l) => lines.push(structuredClone(l)) });
      const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, handler);
      try {
        await sql`SELECT public.create_or_rotate_project_api_key(${PROJECT}, 'otel', gen_random_uuid(), ${
          hash_api_key(KEY)
        })`;
        const out = await new Deno.Command(sdk.command, {
          args: sdk.args,
          env: {
            ...sdk.env,
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

        const otlp = lines.filter((l) => l.otlp === sdk.encoding);
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
        assert.equal(run.metadata["otel.resource"]["service.name"], sdk.service);
        const [session] = await sql`SELECT * FROM private.sessions WHERE id = ${run.session_id}`;
        assert.equal(session.metadata["otel.session.id"], sdk.conversation);
        assert.equal(session.created_at.toISOString(), run.started_at.toISOString());
        assert.equal(
          Number((await sql`SELECT count(*) AS n FROM private.sessions WHERE project_id = ${PROJECT}`)[0].n),
          1,
          "no session left behind by the provisional run",
        );

        // The SDKs' clocks can give two spans the same microsecond: ties go root first, then by name.
        const spans = await sql`SELECT * FROM private.spans WHERE run_id = ${run.id}
          ORDER BY started_at, parent_span_id IS NOT NULL, name`;
        assert.deepEqual(spans.map((s) => [s.kind, s.name, s.status]), [
          ["agent", "invoke_agent weather", "ok"],
          ["model", "chat gpt-4o", "ok"],
          ["tool", "execute_tool get_weather", "error"],
        ]);
        assert.deepEqual(
          spans.map((s) => s.parent_span_id),
          [null, spans[0].id, spans[1].id],
          "the tree is the trace's",
        );
        assert.ok(spans.every((s) => s.pending_parent_span_id === null), "nothing left waiting");
        assert.equal(spans[1].attributes.model, "gpt-4o");
        assert.equal(spans[1].attributes.input_tokens, 120);
        assert.equal(spans[1].attributes.output_tokens, 30);
        assert.equal(spans[2].error.message, "weather service timed out");

        const events = await sql`SELECT type, content, span_id FROM private.events WHERE run_id = ${run.id}
        ORDER BY created_at, type`;
        const types = events.map((e) => e.type);
        for (const t of ["user_input", "assistant_message", "tool_arguments"]) {
          assert.ok(types.includes(t), types.join());
        }
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
}
