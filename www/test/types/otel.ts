// The exporter plugs into the real OpenTelemetry SDK's types (2.x), with no casts.
import { ExperimentTracker } from "@sextant/tracker";
import { BasicTracerProvider, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";
import { ExportResultCode, type ExportResult } from "@opentelemetry/core";

export async function wire(tracker: ExperimentTracker, spans: ReadableSpan[]): Promise<void> {
  const exporter: SpanExporter = tracker.spanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  tracker.spanExporter().export(spans, (result: ExportResult) => {
    if (result.code === ExportResultCode.FAILED) console.log(result.error);
  });
  await provider.shutdown();
}
