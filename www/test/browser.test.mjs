// @sextant/tracker in headless Chromium (playwright-core driving /usr/bin/chromium): the
// packed package installed into a project, served by a tiny static server, imported by a
// plain page through an import map — no bundler.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launch, PAGE } from "./support/chromium.mjs";
import { installPackage, www } from "./support/package.mjs";
import { serve } from "./support/server.mjs";

let server;
let wwwServer;
let browser;

before(async () => {
  const { project } = installPackage();
  writeFileSync(join(project, "index.html"), PAGE);
  server = await serve(project);
  wwwServer = await serve(www);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await wwwServer?.close();
});

async function openPage() {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => document.title === "ready");
  page.errors = errors;
  return page;
}

test("100,000 points into idb:// survive a reload and read back exactly", async () => {
  const page = await openPage();
  const id = await page.evaluate(async () => {
    const { ExperimentTracker } = window.sextant;
    const t = await ExperimentTracker.open("idb://reload-test");
    const id = await t.startExperiment({ name: "big", group: "browser" });
    t.logStatic("lr", 0.001);
    for (let i = 0; i < 100_000; i++) t.logDynamic("loss", Math.sin(i / 1000), { step: i });
    await t.flush();
    return id;
  });
  await page.reload();
  await page.waitForFunction(() => document.title === "ready");
  const back = await page.evaluate(async (id) => {
    const { ExperimentTracker } = window.sextant;
    const t = await ExperimentTracker.open("idb://reload-test");
    const points = await t.getMetricHistory("loss", { experimentId: id });
    const info = await t.getExperiment(id);
    const [summary] = await t.listMetrics(id);
    return {
      count: points.length,
      exact: points.every((p, i) => p.step === i && p.value === Math.sin(i / 1000)),
      lr: info.params.lr,
      latest: info.metrics.loss,
      summary: [summary.count, summary.firstStep, summary.lastStep],
    };
  }, id);
  assert.deepEqual(back, {
    count: 100_000,
    exact: true,
    lr: 0.001,
    latest: Math.sin(99_999 / 1000),
    summary: [100_000, 0, 99_999],
  });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the timer makes points durable without a flush call", async () => {
  const page = await openPage();
  const id = await page.evaluate(async () => {
    const t = await window.sextant.ExperimentTracker.open("idb://timer-test");
    const id = await t.startExperiment();
    for (let i = 0; i < 500; i++) t.logDynamic("acc", i / 500);
    window.keep = t; // keep it alive; no flush, no end
    await new Promise((r) => setTimeout(r, 2500));
    return id;
  });
  await page.reload();
  await page.waitForFunction(() => document.title === "ready");
  const count = await page.evaluate(async (id) => {
    const t = await window.sextant.ExperimentTracker.open("idb://timer-test");
    return (await t.getMetricHistory("acc", { experimentId: id })).length;
  }, id);
  assert.equal(count, 500);
  await page.close();
});

test("two tabs log different experiments into one database", async () => {
  const [a, b] = await Promise.all([openPage(), openPage()]);
  const log = (page, name) =>
    page.evaluate(async (name) => {
      const t = await window.sextant.ExperimentTracker.open("idb://shared-tabs");
      const id = await t.startExperiment({ name, group: "tabs" });
      for (let i = 0; i < 20_000; i++) {
        t.logDynamic("loss", i, { step: i });
        // Interleave flushes so the tabs' transactions alternate.
        if (i % 2_000 === 1_999) await t.flush();
      }
      await t.endExperiment();
      return id;
    }, name);
  const [idA, idB] = await Promise.all([log(a, "tab-a"), log(b, "tab-b")]);
  const seen = await a.evaluate(async (ids) => {
    const t = await window.sextant.ExperimentTracker.open("idb://shared-tabs");
    const runs = await t.listExperiments();
    const counts = [];
    for (const id of ids) counts.push((await t.getMetricHistory("loss", { experimentId: id })).length);
    const groups = await t.listGroups();
    return {
      names: runs.map((r) => r.name).sort(),
      statuses: runs.map((r) => r.status),
      counts,
      groups: groups.map((g) => [g.name, g.experimentCount]),
    };
  }, [idA, idB]);
  assert.deepEqual(seen, {
    names: ["tab-a", "tab-b"],
    statuses: ["completed", "completed"],
    counts: [20_000, 20_000],
    groups: [["tabs", 2]],
  });
  assert.deepEqual([...a.errors, ...b.errors], []);
  await Promise.all([a.close(), b.close()]);
});

test("export loads the snapshot module in the page", async () => {
  const page = await openPage();
  const result = await page.evaluate(async () => {
    const t = await window.sextant.ExperimentTracker.open("localstorage://export-test");
    const id = await t.startExperiment({ name: "exported" });
    for (let i = 0; i < 100; i++) t.logDynamic("loss", 1 / (i + 1));
    await t.endExperiment();
    const tar = await t.export(id);
    const manifest = new TextDecoder().decode(tar.subarray(512, 512 + 400));
    return { size: tar.length, name: new TextDecoder().decode(tar.subarray(0, 13)), manifest };
  });
  assert.equal(result.name, "manifest.json");
  assert.ok(result.size > 2048, `${result.size}`);
  assert.match(result.manifest, /"artifact_type": "experiment"/);
  await page.close();
});

test("listExperiments with a search-language filter loads the search module on demand", async () => {
  const page = await openPage();
  const result = await page.evaluate(async () => {
    const t = await window.sextant.ExperimentTracker.open("memory://");
    for (const [name, acc] of [["low", 0.5], ["high", 0.95], ["mid", 0.8]]) {
      await t.startExperiment({ name });
      t.logDynamic("val/acc", acc);
      await t.endExperiment();
    }
    const names = (runs) => runs.map((r) => r.name);
    const kept = names(await t.listExperiments({ filter: "metrics.`val/acc` >= 0.8", orderBy: "metrics.`val/acc` DESC" }));
    let error;
    try {
      await t.listExperiments({ filter: "metrics.acc >" });
    } catch (e) {
      error = { code: e.code, message: e.message };
    }
    return { kept, error };
  });
  assert.deepEqual(result.kept, ["high", "mid"]);
  assert.equal(result.error.code, "INVALID_INPUT");
  assert.match(result.error.message, /column 14/);
  await page.close();
});

test("the browser example trains and tracks into IndexedDB", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${wwwServer.url}/examples/browser/index.html`);
  await page.waitForFunction(() => document.title.startsWith("done"), null, { timeout: 30_000 });
  await page.click("#train");
  await page.waitForFunction(() => document.title === "done: 2 runs", null, { timeout: 30_000 });
  const listing = await page.textContent("#out");
  assert.match(listing, /completed +lr=0\.\d+ loss=0\.\d+ acc=0\.\d+/);
  assert.deepEqual(errors, []);
  await page.close();
});

test("tracing: span() nesting and the exporter store into idb:// and read back after reload", async () => {
  const page = await openPage();
  const ids = await page.evaluate(async () => {
    const { ExperimentTracker } = window.sextant;
    const t = await ExperimentTracker.open("idb://trace-test");
    const experimentId = await t.startExperiment({ name: "traced" });
    t.enableTracing();
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    let traceId;
    await t.span("epoch", async (epoch) => {
      traceId = epoch.traceId;
      await sleep(5);
      await t.span("batch", async (batch) => {
        batch.setAttribute("size", 32);
        await sleep(5);
        await t.span("forward", async () => sleep(1));
        batch.addEvent("backward done", { ok: true });
      });
      await t.span("eval", async () => {
        throw new Error("nan loss");
      }).catch((e) => epoch.setAttribute("caught", e.message));
    });
    // OpenTelemetry ESM builds do not load in a plain page (extensionless imports), so the
    // exporter gets ReadableSpan-shaped objects as the SDK makes them.
    const otelTrace = "c0ffee".padEnd(32, "0");
    const ctx = (spanId) => ({ traceId: otelTrace, spanId, traceFlags: 1 });
    const readable = (name, spanId, parent, extra) => ({
      name,
      kind: 2,
      spanContext: () => ctx(spanId),
      parentSpanContext: parent ? ctx(parent) : undefined,
      startTime: [1764345912, 5],
      endTime: [1764345913, 999999999],
      status: { code: 1 },
      attributes: {},
      events: [],
      links: [],
      ...extra,
    });
    const results = [];
    t.spanExporter().export(
      [
        readable("agent", "00000000000000a1", null, { attributes: { "gen_ai.operation.name": "invoke_agent" } }),
        readable("chat", "00000000000000a2", "00000000000000a1", {
          attributes: { "gen_ai.operation.name": "chat" },
          events: [{ name: "token", time: [1764345913, 1] }],
        }),
      ],
      (r) => results.push(r.code),
    );
    await t.endExperiment();
    return { experimentId, traceId, otelTrace, results };
  });
  assert.deepEqual(ids.results, [0]);
  assert.match(ids.traceId, /^[0-9a-f]{32}$/);
  await page.reload();
  await page.waitForFunction(() => document.title === "ready");
  const back = await page.evaluate(async ({ experimentId, traceId, otelTrace }) => {
    const t = await window.sextant.ExperimentTracker.open("idb://trace-test");
    const traces = await t.listTraces(experimentId);
    const spans = await t.getTrace(traceId, { experimentId });
    const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
    const otel = await t.getTrace(otelTrace, { experimentId });
    return {
      traceCount: traces.length,
      names: spans.map((s) => s.name).sort(),
      parents: {
        epoch: byName.epoch.parentSpanId,
        batch: byName.batch.parentSpanId === byName.epoch.spanId,
        forward: byName.forward.parentSpanId === byName.batch.spanId,
        eval: byName.eval.parentSpanId === byName.epoch.spanId,
      },
      statuses: spans.map((s) => `${s.name}:${s.status}`).sort(),
      evalMessage: byName.eval.statusMessage,
      evalEvent: byName.eval.events[0]?.name,
      batch: { attributes: byName.batch.attributes, event: byName.batch.events[0]?.name },
      caught: byName.epoch.attributes.caught,
      batchInEpoch:
        byName.batch.startTimeUnixNano >= byName.epoch.startTimeUnixNano &&
        byName.batch.endTimeUnixNano <= byName.epoch.endTimeUnixNano,
      batchMs: Number(byName.batch.endTimeUnixNano - byName.batch.startTimeUnixNano) / 1e6,
      otel: otel.map((s) => [
        s.name,
        s.parentSpanId,
        s.kind,
        s.dfsSpanType,
        s.status,
        String(s.startTimeUnixNano),
        s.events.map((e) => String(e.timestamp)),
      ]),
    };
  }, ids);
  const { batchMs, ...rest } = back;
  assert.ok(batchMs >= 5, `batch took ${batchMs} ms`);
  assert.deepEqual(rest, {
    traceCount: 2,
    names: ["batch", "epoch", "eval", "forward"],
    parents: { epoch: null, batch: true, forward: true, eval: true },
    statuses: ["batch:ok", "epoch:ok", "eval:error", "forward:ok"],
    evalMessage: "nan loss",
    evalEvent: "exception",
    batch: { attributes: { size: 32 }, event: "backward done" },
    caught: "nan loss",
    batchInEpoch: true,
    otel: [
      ["agent", null, 3, 2, "ok", "1764345912000000005", []],
      ["chat", "00000000000000a1", 3, 1, "ok", "1764345912000000005", ["1764345913000000001"]],
    ],
  });
  assert.deepEqual(page.errors, []);
  await page.close();
});

/** Logs 500 points into a new run of `db` without flushing; returns the run's id. */
function logUnflushed(page, db) {
  return page.evaluate(async (db) => {
    const t = await window.sextant.ExperimentTracker.open(db);
    const id = await t.startExperiment({ name: "closed early" });
    t.logStatic("lr", 0.01);
    for (let i = 0; i < 500; i++) t.logDynamic("loss", 1 / (i + 1));
    window.keep = t;
    return id;
  }, db);
}

/** What the next page that opens `db` reads of run `id`. */
function readRun(page, db, id) {
  return page.evaluate(
    async ({ db, id }) => {
      const t = await window.sextant.ExperimentTracker.open(db);
      const info = await t.getExperiment(id);
      const points = await t.getMetricHistory("loss", { experimentId: id });
      return {
        status: info.status,
        lr: info.params.lr,
        points: points.length,
        exact: points.every((p, i) => p.step === i && p.value === 1 / (i + 1)),
        saved: Object.keys(localStorage).filter((k) => k.startsWith("sextant-wal:")).length,
      };
    },
    { db, id },
  );
}

test("a reload right after logging keeps every point, and marks the run failed", async () => {
  const page = await openPage();
  const id = await logUnflushed(page, "idb://closing-reload");
  await page.reload();
  await page.waitForFunction(() => document.title === "ready");
  assert.deepEqual(await readRun(page, "idb://closing-reload", id), {
    status: "failed",
    lr: 0.01,
    points: 500,
    exact: true,
    saved: 0,
  });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("closing the tab right after logging keeps every point, read by the next tab", async () => {
  const page = await openPage();
  const id = await logUnflushed(page, "idb://closing-tab");
  await page.close();
  const next = await openPage();
  assert.deepEqual(await readRun(next, "idb://closing-tab", id), {
    status: "failed",
    lr: 0.01,
    points: 500,
    exact: true,
    saved: 0,
  });
  await next.close();
});
