// A GenAI agent trace (agent -> chat -> tool, messages, token usage, a failed tool call) sent
// by the real OpenTelemetry JS SDK with a batch span processor and the OTLP/HTTP JSON exporter
// (@opentelemetry/exporter-trace-otlp-http). Endpoint and headers from the standard OTEL_*
// variables; modules from NODE_PATH; prints the trace id (hex) on stdout.
const { context, trace, SpanStatusCode } = require("@opentelemetry/api");
const { BasicTracerProvider, BatchSpanProcessor } = require("@opentelemetry/sdk-trace-base");
const { OTLPTraceExporter } = require("@opentelemetry/exporter-trace-otlp-http");
const { resourceFromAttributes } = require("@opentelemetry/resources");

async function main() {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ "service.name": "js-agent" }),
    // One span per export: children reach the server before their parents, root last.
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter(), { maxExportBatchSize: 1, scheduledDelayMillis: 50 }),
    ],
  });
  const tracer = provider.getTracer("northstar.e2e");
  const agent = tracer.startSpan("invoke_agent weather", {
    attributes: {
      "gen_ai.operation.name": "invoke_agent",
      "gen_ai.agent.name": "weather",
      "gen_ai.conversation.id": "conv-js-1",
    },
  });
  const agentCtx = trace.setSpan(context.active(), agent);
  const chat = tracer.startSpan("chat gpt-4o", {
    attributes: {
      "gen_ai.operation.name": "chat",
      "gen_ai.request.model": "gpt-4o",
      "gen_ai.usage.input_tokens": 120,
      "gen_ai.usage.output_tokens": 30,
      "gen_ai.input.messages": JSON.stringify([
        { role: "user", parts: [{ type: "text", content: "Weather in Paris?" }] },
      ]),
      "gen_ai.output.messages": JSON.stringify([
        { role: "assistant", parts: [{ type: "text", content: "Calling the tool." }], finish_reason: "tool_call" },
      ]),
    },
  }, agentCtx);
  const chatCtx = trace.setSpan(agentCtx, chat);
  const tool = tracer.startSpan("execute_tool get_weather", {
    attributes: {
      "gen_ai.operation.name": "execute_tool",
      "gen_ai.tool.name": "get_weather",
      "gen_ai.tool.call.arguments": JSON.stringify({ city: "Paris" }),
    },
  }, chatCtx);
  const failure = new Error("weather service timed out");
  failure.name = "TimeoutError";
  tool.recordException(failure);
  tool.setStatus({ code: SpanStatusCode.ERROR, message: "weather service timed out" });
  tool.end();
  chat.end();
  agent.end();
  process.stdout.write(agent.spanContext().traceId + "\n");
  await provider.shutdown();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
