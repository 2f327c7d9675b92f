// Compiles against the shipped types with `strict`: the README's usage, every method.
import {
  ExperimentTracker,
  load,
  type ExperimentInfo,
  type ExportResult,
  type ReadableSpanLike,
  type SpanHandle,
  type TrackerSpanExporter,
  type MetricPoint,
  type SextantError,
  type Span,
  type TraceSummary,
  type Annotation,
  type EvalPage,
} from "@sextant/tracker";

export async function evals(tracker: ExperimentTracker): Promise<number> {
  tracker.logEvalSample("s1", "qa", { prompt: "2+2?" }, { outputs: { answer: "4" }, scores: { acc: 1 } });
  tracker.linkEvalSampleToTrace("qa", "s1", "4bf92f3577b34da6a3ce929d0e0e4736");
  const a: Annotation = await tracker.logEvalAnnotation("qa", "s1", {
    name: "correct",
    annotationKind: "feedback",
    valueType: "bool",
    value: true,
    user: "alice",
  });
  await tracker.updateAnnotation("exp", a.id, "eval", { rationale: "checked" });
  const page: EvalPage = await tracker.getExperimentEvals({ sortBy: "scores.acc", filters: ["scores.acc > 0.5"], limit: 50 });
  const avg: number | undefined = (await tracker.getEvalSummary()).overall.averages["acc"];
  await tracker.deleteAnnotation("exp", a.id, "eval");
  return page.total + (avg ?? 0) + (await tracker.listAnnotations()).length;
}

async function main(pngBytes: Uint8Array): Promise<void> {
  await load();
  const tracker = await ExperimentTracker.open("idb://my-experiments");
  const id: string = await tracker.startExperiment({ name: "baseline", group: "mnist", tags: ["cnn"] });
  tracker.logStatic("lr", 1e-3);
  tracker.logStatic("layers", [64, 32]);
  tracker.logStatic("config", { optimizer: "adamw", amp: true });
  tracker.logStatic("seed", 2n ** 60n);
  tracker.logStatic("started", new Date());
  tracker.logStatic("nested", { when: new Date(), sizes: new Map([["a", 1]]), w: new Float32Array(2) });
  tracker.logMetrics(new Map([["acc", 0.5]]));
  const callbacks = tracker.tfjsCallback({ every: "batch", weights: "ckpt" });
  callbacks.onEpochEnd(0, { loss: 1 });
  tracker.onError = (e: SextantError) => console.log(e.code, e.dropped?.points);
  const waiting: number = tracker.pending().points + tracker.discardPending().records;
  const step: number = tracker.logDynamic("loss", 0.5, { step: 1 });
  tracker.logMetrics({ loss: 0.4, acc: 0.91 }, { step: step + 1 });
  await tracker.logAttachment("confusion.png", pngBytes, { binary: true });
  await tracker.logAttachment("notes.md", "# notes");
  tracker.logSpan({
    traceId: "0".repeat(32),
    spanId: "1".repeat(16),
    name: "epoch",
    startTimeUnixNano: 1n,
    endTimeUnixNano: "2",
    status: "ok",
    attributes: { epoch: 1 },
  });
  tracker.enableTracing();
  const answer: number = await tracker.span(
    "epoch",
    async (span: SpanHandle) => {
      span.setAttribute("lr", 0.1).addEvent("checkpoint", { step: 3 });
      return tracker.span("inner", () => span.traceId.length);
    },
    { epoch: 1 },
  );
  const exporter: TrackerSpanExporter = tracker.spanExporter({ experimentId: id });
  const readable: ReadableSpanLike = {
    name: "llm",
    kind: 2,
    spanContext: () => ({ traceId: "0".repeat(32), spanId: "2".repeat(16), traceFlags: 1 }),
    parentSpanContext: { traceId: "0".repeat(32), spanId: "1".repeat(16) },
    startTime: [1, 0],
    endTime: [1, 500],
    status: { code: 1 },
    attributes: { "gen_ai.operation.name": "chat", tags: ["a", undefined] },
    events: [{ name: "token", time: [1, 100] }],
    links: [],
  };
  exporter.export([readable], (result: ExportResult) => {
    if (result.code === 1) console.log(result.error?.message, answer);
  });
  await exporter.forceFlush();
  await exporter.shutdown();
  await tracker.flush();
  await tracker.endExperiment();

  const runs: ExperimentInfo[] = await tracker.listExperiments();
  const first = runs[0];
  if (first) {
    const lr = first.params["lr"];
    const status: "running" | "completed" | "failed" = first.status;
    console.log(lr, status, first.createdAt.toFixed(0), first.duration ?? 0);
  }
  const one = await tracker.getExperiment(id);
  const groups = await tracker.listGroups();
  const metrics = await tracker.listMetrics(id);
  const history: MetricPoint[] = await tracker.getMetricHistory("loss", { experimentId: id });
  const series = await tracker.getMetricSeries("loss", { maxPoints: 200, fromStep: 0 });
  const attachments = await tracker.listAttachments(id);
  const bytes: Uint8Array = await tracker.getAttachment("notes.md", { experimentId: id });
  const traces: TraceSummary[] = await tracker.listTraces(id);
  const spans: Span[] = await tracker.getTrace("0".repeat(32), { experimentId: id });
  const nanos: bigint = spans[0]!.startTimeUnixNano + traces[0]!.durationNs;
  await tracker.updateExperiment(id, { description: "first try" });
  const tar: Uint8Array = await tracker.export(id);
  await tracker.failExperiment(id).catch((e: SextantError) => console.log(e.code, e.message));
  await tracker.deleteExperiment(id);
  console.log(one.name, groups.length, metrics[0]?.lastValue, history.length, series.length);
  console.log(attachments[0]?.size, bytes.length, nanos, tar.length, tracker.currentExperiment, waiting);
  await tracker.close();
}

void main(new Uint8Array([137, 80, 78, 71]));
