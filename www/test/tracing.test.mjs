// Tracing in Node: the real OpenTelemetry JS SDK exporting through `tracker.spanExporter()`,
// and the built-in `tracker.span()` helper (AsyncLocalStorage nesting), read back through
// listTraces / getTrace. The package is used as installed from its tarball.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";

import { importPackage, installPackage } from "./support/package.mjs";

let ExperimentTracker;

before(async () => {
  const { project } = installPackage();
  ({ ExperimentTracker } = await importPackage(project));
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const byName = (spans) => Object.fromEntries(spans.map((s) => [s.name, s]));

describe("OpenTelemetry SDK -> spanExporter()", () => {
  let tracker;
  let provider;
  let contextManager;

  before(async () => {
    tracker = await ExperimentTracker.open("memory://");
    await tracker.startExperiment({ name: "otel" });
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
    provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(tracker.spanExporter())],
    });
  });

  after(async () => {
    await provider.shutdown();
    context.disable();
    await tracker.close();
  });

  test("a nested trace keeps its tree, timings, statuses, events and span types", async () => {
    const tracer = provider.getTracer("tracing-test");
    const wallBefore = BigInt(Date.now()) * 1_000_000n;
    let traceId;
    await tracer.startActiveSpan("agent run", { kind: SpanKind.SERVER }, async (root) => {
      traceId = root.spanContext().traceId;
      root.setAttribute("gen_ai.operation.name", "invoke_agent");
      await tracer.startActiveSpan("llm call", { kind: SpanKind.CLIENT }, async (chat) => {
        chat.setAttributes({ "gen_ai.operation.name": "chat", "gen_ai.request.model": "tiny" });
        chat.addEvent("first token", { index: 0 });
        await sleep(20);
        chat.setStatus({ code: SpanStatusCode.OK });
        chat.end();
      });
      await tracer.startActiveSpan("search", async (tool) => {
        tool.setAttribute("llm.request.type", "tool");
        tool.setAttribute("tags", ["a", "b"]);
        tool.recordException(new Error("index offline"));
        tool.setStatus({ code: SpanStatusCode.ERROR, message: "index offline" });
        tool.end();
      });
      const embed = tracer.startSpan("embed", {
        attributes: { "gen_ai.operation.name": "embeddings" },
        links: [{ context: root.spanContext(), attributes: { why: "batch" } }],
      });
      embed.end();
      root.end();
    });
    const wallAfter = BigInt(Date.now() + 1) * 1_000_000n;

    const traces = await tracker.listTraces();
    const summary = traces.find((t) => t.traceId === traceId);
    assert.ok(summary, "trace listed");
    assert.equal(summary.spanCount, 4);
    assert.equal(summary.rootName, "agent run");
    assert.equal(summary.state, "unset"); // the root's status (luml's rule)

    const spans = await tracker.getTrace(traceId);
    const s = byName(spans);
    const root = s["agent run"];
    assert.equal(root.parentSpanId, null);
    assert.equal(s["llm call"].parentSpanId, root.spanId);
    assert.equal(s.search.parentSpanId, root.spanId);
    // Started outside the active context of "agent run"? No: inside startActiveSpan, so a child.
    assert.equal(s.embed.parentSpanId, root.spanId);

    // SpanKind + 1: INTERNAL 0 -> 1, SERVER 1 -> 2, CLIENT 2 -> 3.
    assert.deepEqual([root.kind, s["llm call"].kind, s.search.kind], [2, 3, 1]);
    // gen_ai / llm.request.type -> luml span types.
    assert.deepEqual(
      [root.dfsSpanType, s["llm call"].dfsSpanType, s.search.dfsSpanType, s.embed.dfsSpanType],
      [2, 1, 3, 4],
    );

    // Timings: unix nanoseconds within the wall-clock window, children inside the root.
    for (const span of spans) {
      assert.equal(typeof span.startTimeUnixNano, "bigint");
      assert.ok(span.startTimeUnixNano >= wallBefore - 5_000_000n, `${span.name} start`);
      assert.ok(span.endTimeUnixNano <= wallAfter + 5_000_000n, `${span.name} end`);
      assert.ok(span.endTimeUnixNano >= span.startTimeUnixNano);
    }
    const llm = s["llm call"];
    assert.ok(llm.endTimeUnixNano - llm.startTimeUnixNano >= 15_000_000n, "slept 20 ms");
    assert.ok(llm.startTimeUnixNano >= root.startTimeUnixNano);
    assert.ok(llm.endTimeUnixNano <= root.endTimeUnixNano);
    assert.ok(s.search.startTimeUnixNano >= llm.endTimeUnixNano);

    // Statuses.
    assert.equal(root.status, "unset");
    assert.equal(llm.status, "ok");
    assert.equal(s.search.status, "error");
    assert.equal(s.search.statusMessage, "index offline");

    // Attributes, events, links.
    assert.equal(llm.attributes["gen_ai.request.model"], "tiny");
    assert.deepEqual(s.search.attributes.tags, ["a", "b"]);
    assert.equal(llm.events.length, 1);
    assert.equal(llm.events[0].name, "first token");
    assert.deepEqual(llm.events[0].attributes, { index: 0 });
    assert.ok(llm.events[0].timestamp >= llm.startTimeUnixNano);
    assert.ok(llm.events[0].timestamp <= llm.endTimeUnixNano);
    const exception = s.search.events.find((e) => e.name === "exception");
    assert.equal(exception.attributes["exception.message"], "index offline");
    assert.equal(s.embed.links.length, 1);
    assert.equal(s.embed.links[0].spanId, root.spanId);
    assert.equal(s.embed.links[0].traceId, traceId);
    assert.equal(s.embed.links[0].traceFlags, 1);
    assert.deepEqual(s.embed.links[0].attributes, { why: "batch" });
    assert.equal(root.traceFlags, 1);
  });

  test("explicit contexts (trace.setSpan) nest too", async () => {
    const tracer = provider.getTracer("explicit");
    const parent = tracer.startSpan("parent");
    const child = tracer.startSpan("child", {}, trace.setSpan(context.active(), parent));
    child.end();
    parent.end();
    const spans = byName(await tracker.getTrace(parent.spanContext().traceId));
    assert.equal(spans.child.parentSpanId, parent.spanContext().spanId);
  });
});

describe("spanExporter() directly", () => {
  let tracker;
  const good = (name, spanId, extra = {}) => ({
    name,
    kind: 0,
    spanContext: () => ({ traceId: "ab".repeat(16), spanId, traceFlags: 1 }),
    startTime: [1764345912, 123456789],
    endTime: [1764345913, 5],
    status: { code: 0 },
    attributes: {},
    events: [],
    links: [],
    ...extra,
  });

  before(async () => {
    tracker = await ExperimentTracker.open("memory://");
    await tracker.startExperiment();
  });

  after(() => tracker.close());

  test("HrTime is exact to the nanosecond; SDK 1.x parentSpanId is understood", async () => {
    const exporter = tracker.spanExporter();
    const results = [];
    exporter.export(
      [
        good("root", "1000000000000001"),
        good("child", "1000000000000002", { parentSpanId: "1000000000000001", kind: 4 }),
      ],
      (r) => results.push(r),
    );
    assert.deepEqual(results, [{ code: 0 }]);
    const spans = byName(await tracker.getTrace("ab".repeat(16)));
    assert.equal(spans.root.startTimeUnixNano, 1764345912123456789n);
    assert.equal(spans.root.endTimeUnixNano, 1764345913000000005n);
    assert.equal(spans.child.parentSpanId, "1000000000000001");
    assert.equal(spans.child.kind, 5); // CONSUMER
  });

  test("a bad span fails the export but the others are stored; export never throws", async () => {
    const exporter = tracker.spanExporter();
    const results = [];
    exporter.export(
      [
        good("fine", "2000000000000001"),
        good("bad id", "xyz"),
        good("bad time", "2000000000000003", { endTime: "soon" }),
        good("also fine", "2000000000000004"),
      ],
      (r) => results.push(r),
    );
    assert.equal(results.length, 1);
    assert.equal(results[0].code, 1);
    assert.ok(results[0].error instanceof Error);
    assert.match(results[0].error.message, /stored 2 of 4 spans/);
    assert.match(results[0].error.message, /"bad id" \(xyz\)/);
    assert.match(results[0].error.message, /"bad time" \(2000000000000003\)/);
    const names = (await tracker.getTrace("ab".repeat(16))).map((s) => s.name);
    assert.ok(names.includes("fine") && names.includes("also fine"));
    assert.ok(!names.includes("bad id") && !names.includes("bad time"));

    // Garbage instead of spans: still a callback, not a throw.
    const more = [];
    exporter.export(null, (r) => more.push(r));
    exporter.export([{}], (r) => more.push(r));
    assert.deepEqual(more.map((r) => r.code), [1, 1]);
  });

  test("shutdown flushes; exporting afterwards fails", async () => {
    const store = `sqlite://${process.env.TMPDIR ?? "/tmp"}/sextant-exporter-${process.pid}`;
    const t = await ExperimentTracker.open(store);
    const id = await t.startExperiment();
    const exporter = t.spanExporter();
    exporter.export([good("durable", "3000000000000001")], () => {});
    await exporter.forceFlush();
    await exporter.shutdown();
    const results = [];
    exporter.export([good("late", "3000000000000002")], (r) => results.push(r));
    assert.equal(results[0].code, 1);
    assert.match(results[0].error.message, /shut down/);
    const reopened = await ExperimentTracker.open(store);
    const [summary] = await reopened.listTraces(id);
    assert.equal(summary.spanCount, 1);
    await t.close();
    await reopened.close();
  });
});

describe("tracker.span() in Node", () => {
  let tracker;

  before(async () => {
    tracker = await ExperimentTracker.open("memory://");
    await tracker.startExperiment({ name: "helper" });
  });

  after(() => tracker.close());

  test("records nothing until enableTracing()", async () => {
    const other = await ExperimentTracker.open("memory://");
    await other.startExperiment();
    const value = await other.span("ignored", async (span) => {
      span.setAttribute("x", 1).addEvent("e");
      return 42;
    });
    assert.equal(value, 42);
    assert.deepEqual(await other.listTraces(), []);
    await other.close();
  });

  test("nesting across awaits, concurrent children under one parent", async () => {
    tracker.enableTracing();
    let traceId;
    const value = await tracker.span(
      "epoch",
      async (epoch) => {
        traceId = epoch.traceId;
        assert.match(epoch.traceId, /^[0-9a-f]{32}$/);
        assert.match(epoch.spanId, /^[0-9a-f]{16}$/);
        await sleep(2);
        await Promise.all(
          ["a", "b"].map((shard) =>
            tracker.span(`shard ${shard}`, async (s) => {
              s.setAttribute("shard", shard);
              await sleep(shard === "a" ? 15 : 2); // interleave the two branches
              await tracker.span(`load ${shard}`, async () => {
                await sleep(shard === "a" ? 1 : 10);
              });
              s.addEvent("loaded", { shard });
            }),
          ),
        );
        return "done";
      },
      { epoch: 1 },
    );
    assert.equal(value, "done");
    // A later top-level span is a new trace.
    await tracker.span("eval", async () => {});

    const traces = await tracker.listTraces();
    assert.equal(traces.length, 2);
    const spans = byName(await tracker.getTrace(traceId));
    assert.equal(Object.keys(spans).length, 5);
    const root = spans.epoch;
    assert.equal(root.parentSpanId, null);
    assert.deepEqual(root.attributes, { epoch: 1 });
    for (const shard of ["a", "b"]) {
      const s = spans[`shard ${shard}`];
      assert.equal(s.parentSpanId, root.spanId, `shard ${shard} parent`);
      assert.equal(spans[`load ${shard}`].parentSpanId, s.spanId, `load ${shard} parent`);
      assert.deepEqual(s.attributes, { shard });
      assert.equal(s.events[0].name, "loaded");
      assert.deepEqual(s.events[0].attributes, { shard });
      assert.equal(s.status, "ok");
      assert.equal(s.kind, 1);
      assert.ok(s.startTimeUnixNano >= root.startTimeUnixNano);
      assert.ok(s.endTimeUnixNano <= root.endTimeUnixNano);
    }
    assert.ok(spans["shard a"].endTimeUnixNano - spans["shard a"].startTimeUnixNano >= 14_000_000n);
    assert.ok(traces.some((t) => t.rootName === "eval" && t.traceId !== traceId));
  });

  test("an error sets status error, records the exception and is rethrown", async () => {
    tracker.enableTracing();
    let traceId;
    const boom = new RangeError("learning rate exploded");
    await assert.rejects(
      tracker.span("train", async (outer) => {
        traceId = outer.traceId;
        await tracker.span("step", async () => {
          await sleep(1);
          throw boom;
        });
      }),
      (e) => e === boom,
    );
    const spans = byName(await tracker.getTrace(traceId));
    for (const name of ["train", "step"]) {
      assert.equal(spans[name].status, "error");
      assert.equal(spans[name].statusMessage, "learning rate exploded");
      const [event] = spans[name].events;
      assert.equal(event.name, "exception");
      assert.equal(event.attributes["exception.type"], "RangeError");
      assert.equal(event.attributes["exception.message"], "learning rate exploded");
      assert.match(String(event.attributes["exception.stacktrace"]), /learning rate exploded/);
    }
    assert.equal(spans.step.parentSpanId, spans.train.spanId);
    const [summary] = (await tracker.listTraces()).filter((t) => t.traceId === traceId);
    assert.equal(summary.state, "error");
  });
});

describe("logSpan's fast path", () => {
  // Spans of plain values cross into wasm in one call (fast.js); anything else is read
  // field by field. A time given as a decimal string always takes the field-by-field
  // path, so each span below is logged both ways and must read back the same.
  const spans = [
    { name: "bare" },
    {
      name: "full",
      parentSpanId: "00000000000000ff",
      kind: 3,
      dfsSpanType: 1,
      traceFlags: 1,
      status: "error",
      statusMessage: "boom \u00e9",
      attributes: {
        text: "quote \" nl \n",
        int: 42,
        neg: -7,
        float: 0.125,
        yes: true,
        none: null,
        gone: undefined,
        list: [1, "two", null, undefined, 2.5],
        "gen_ai.operation.name": "chat",
      },
    },
    { name: "numeric status", status: 2, attributes: {} },
    { name: "unknown status code", status: 7, kind: null, statusMessage: null, parentSpanId: null },
    // Not plain: left to the checked path in both runs, read back the same all the same.
    { name: "big whole number", attributes: { big: 2 ** 60, negzero: -0, inf: Infinity } },
    { name: "map attributes", attributes: new Map([["k", "v"]]) },
  ];

  test("stores what the checked path stores", async () => {
    const t = await ExperimentTracker.open("memory://");
    const fast = await t.startExperiment({ name: "fast" });
    const checked = await t.startExperiment({ name: "checked" });
    const trace = "0123456789abcdef0123456789abcdef";
    spans.forEach((s, i) => {
      const spanId = (i + 1).toString(16).padStart(16, "0");
      const start = 1764345912123456789n + BigInt(i);
      const end = start + 1000n;
      t.logSpan({ traceId: trace, spanId, startTimeUnixNano: start, endTimeUnixNano: end, ...s }, { experimentId: fast });
      t.logSpan(
        { traceId: trace, spanId, startTimeUnixNano: String(start), endTimeUnixNano: String(end), ...s },
        { experimentId: checked },
      );
    });
    const a = await t.getTrace(trace, { experimentId: fast });
    const b = await t.getTrace(trace, { experimentId: checked });
    assert.equal(a.length, spans.length);
    assert.deepEqual(a, b);
    const full = byName(a).full;
    assert.equal(full.startTimeUnixNano, 1764345912123456790n);
    assert.deepEqual(full.attributes.list, [1, "two", null, null, 2.5]);
    assert.equal("gone" in full.attributes, false);
    assert.equal(full.status, "error");
    assert.equal(byName(a)["unknown status code"].status, "unset");
    await t.close();
  });

  test("rejects what the checked path rejects, with the same error", async () => {
    const t = await ExperimentTracker.open("memory://");
    await t.startExperiment();
    const bad = [
      { traceId: "not hex", spanId: "0000000000000001", name: "x" },
      { traceId: "1".repeat(32), spanId: "0000000000000001", name: "" },
      { traceId: "1".repeat(32), spanId: "0000000000000001", name: "x", kind: 1.5 },
      { traceId: "1".repeat(32), spanId: "0000000000000001", name: "x", status: "fine" },
    ];
    const error = (span, start, end) => {
      try {
        t.logSpan({ startTimeUnixNano: start, endTimeUnixNano: end, ...span });
      } catch (e) {
        return [e.code, e.message];
      }
      return null;
    };
    for (const span of bad) {
      const fast = error(span, 5n, 9n);
      assert.notEqual(fast, null, JSON.stringify(span));
      assert.deepEqual(fast, error(span, "5", "9"));
    }
    assert.deepEqual(error({ traceId: "1".repeat(32), spanId: "0000000000000001", name: "x" }, 9n, 5n)?.[0], "INVALID_INPUT");
    await t.close();
  });
});
