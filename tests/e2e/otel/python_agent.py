"""A GenAI agent trace (agent -> chat -> tool, messages, token usage, a failed tool call)
sent by the real OpenTelemetry Python SDK with a batch span processor and the OTLP/HTTP
protobuf exporter. The endpoint and headers come from the standard OTEL_* variables; prints
the trace id (hex) on stdout."""
import json

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Status, StatusCode

provider = TracerProvider(resource=Resource.create({"service.name": "python-agent"}))
# One span per export: children reach the server before their parents, root last.
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(), max_export_batch_size=1, schedule_delay_millis=50))
tracer = provider.get_tracer("northstar.e2e")

with tracer.start_as_current_span("invoke_agent weather") as agent:
    agent.set_attribute("gen_ai.operation.name", "invoke_agent")
    agent.set_attribute("gen_ai.agent.name", "weather")
    agent.set_attribute("gen_ai.conversation.id", "conv-python-1")
    with tracer.start_as_current_span("chat gpt-4o") as chat:
        chat.set_attribute("gen_ai.operation.name", "chat")
        chat.set_attribute("gen_ai.request.model", "gpt-4o")
        chat.set_attribute("gen_ai.usage.input_tokens", 120)
        chat.set_attribute("gen_ai.usage.output_tokens", 30)
        chat.set_attribute("gen_ai.input.messages", json.dumps(
            [{"role": "user", "parts": [{"type": "text", "content": "Weather in Paris?"}]}]))
        chat.set_attribute("gen_ai.output.messages", json.dumps(
            [{"role": "assistant", "parts": [{"type": "text", "content": "Calling the tool."}],
              "finish_reason": "tool_call"}]))
        with tracer.start_as_current_span("execute_tool get_weather") as tool:
            tool.set_attribute("gen_ai.operation.name", "execute_tool")
            tool.set_attribute("gen_ai.tool.name", "get_weather")
            tool.set_attribute("gen_ai.tool.call.arguments", json.dumps({"city": "Paris"}))
            try:
                raise TimeoutError("weather service timed out")
            except TimeoutError as e:
                tool.record_exception(e)
                tool.set_status(Status(StatusCode.ERROR, "weather service timed out"))
    print(format(agent.get_span_context().trace_id, "032x"))

provider.shutdown()
