// The real OpenTelemetry JS exporters (protobuf and JSON) against `sextant serve`.
// Usage: node test.mjs BASE_URL TOKEN
import assert from "node:assert/strict";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";

const [base, token] = process.argv.slice(2);
const headers = { Authorization: `Bearer ${token}` };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(path) {
  const r = await fetch(base + path, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await r.text();
  assert.equal(r.status, 200, `${path}: ${text}`);
  return JSON.parse(text);
}

async function exportWith(Exporter, service) {
  const exporter = new Exporter({ url: `${base}/v1/traces`, headers, timeoutMillis: 10_000 });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer("node-test", "0.1.0");
  const root = tracer.startSpan("handle", { kind: SpanKind.SERVER, attributes: { "http.route": "/x" } });
  const child = tracer.startSpan(
    "tool-call",
    { attributes: { "gen_ai.operation.name": "execute_tool", retries: 3, ratio: 0.25, ok: true } },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.addEvent("started", { step: 1 });
  await sleep(15);
  child.setStatus({ code: SpanStatusCode.ERROR, message: "tool failed" });
  child.end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

async function check(service, traceId) {
  const exp = `otlp-${service}`;
  const spans = await api(`/api/experiments/${exp}/traces/${traceId}`);
  assert.equal(spans.length, 2, JSON.stringify(spans));
  const root = spans.find((s) => s.name === "handle");
  const child = spans.find((s) => s.name === "tool-call");
  assert.equal(root.parent_span_id, null);
  assert.equal(child.parent_span_id, root.span_id);
  assert.equal(root.kind, 2);
  assert.equal(child.kind, 1);
  assert.ok(child.end_time_unix_nano - child.start_time_unix_nano >= 10_000_000, "child lasted >= 10 ms");
  assert.ok(root.start_time_unix_nano <= child.start_time_unix_nano);
  assert.equal(child.attributes.retries, 3);
  assert.equal(child.attributes.ratio, 0.25);
  assert.equal(child.attributes.ok, true);
  assert.equal(child.attributes["service.name"], service);
  assert.equal(child.dfs_span_type, 3, "execute_tool is a tool span");
  assert.equal(child.status, "error");
  assert.equal(child.status_message, "tool failed");
  assert.equal(root.status, "ok");
  assert.equal(child.events.length, 1);
  assert.equal(child.events[0].name, "started");
  assert.deepEqual(child.events[0].attributes, { step: 1 });
  console.log(`ok: JS ${service} exporter: tree, timings, attributes, event, status`);
}

await check("node-proto", await exportWith(ProtoExporter, "node-proto"));
await check("node-json", await exportWith(JsonExporter, "node-json"));
console.log("all Node OTLP checks passed");
