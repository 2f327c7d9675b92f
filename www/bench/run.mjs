// The benchmark, run headless: `npm --prefix www run bench` (after a build). Prints durable
// points/s into IndexedDB through the tracker against a one-put-per-point baseline in the
// same browser run, the JS→wasm cost of logDynamic (in the page and in Node), the per-span
// overhead of tracing (tracker.span and the OpenTelemetry exporter), and the wasm sizes.
// A script, not a timed test: the figures are for reading.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

import { launch } from "../test/support/chromium.mjs";
import { www } from "../test/support/package.mjs";
import { serve } from "../test/support/server.mjs";

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const rate = (points, ms) => `${Math.round((points / ms) * 1000).toLocaleString("en")} points/s`;

for (const wasm of ["pkg/sextant_web_bg.wasm", "pkg-snapshot/sextant_snapshot_wasm_bg.wasm"]) {
  const bytes = readFileSync(join(www, wasm));
  console.log(`${wasm}: ${kb(bytes.length)}, ${kb(gzipSync(bytes, { level: 9 }).length)} gzip`);
}

const server = await serve(www);
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/bench/bench.html`);
  await page.waitForFunction(() => document.title === "ready");
  const r = await page.evaluate(() => window.runBenchmark());
  console.log(`\nIndexedDB, ${r.points.toLocaleString("en")} points, strict durability (Chromium):`);
  console.log(
    `  tracker:  ${rate(r.points, r.tracker.totalMs)} durable ` +
      `(logging ${r.tracker.logMs.toFixed(0)} ms, flush ${r.tracker.flushMs.toFixed(0)} ms)`,
  );
  console.log(`  baseline: ${rate(r.points, r.baseline.totalMs)} durable (one put per point, one transaction)`);
  console.log(`  speed-up: ${(r.baseline.totalMs / r.tracker.totalMs).toFixed(1)}x`);
  const ns = ({ best, median }) => `${best.toFixed(0)} ns best, ${median.toFixed(0)} ns median`;
  console.log(`\nlogDynamic, JS -> wasm, buffered (Chromium), per call:`);
  console.log(`  with { step }:                 ${ns(r.call.withStep)}`);
  console.log(`  auto-step:                     ${ns(r.call.autoStep)}`);
  console.log(`  fully checked (experimentId):  ${ns(r.call.checked)}`);
  console.log(`  for scale, Date.now() in JS:   ${ns(r.call.clock)}`);
  const us = ({ best, median }) => `${best.toFixed(2)} µs best, ${median.toFixed(2)} µs median`;
  const over = (k) => ({ best: r.tracing[k].best - r.tracing.plain.best, median: r.tracing[k].median - r.tracing.plain.median });
  console.log(`\ntracing (Chromium), per span, ${r.tracing.spans.toLocaleString("en")} spans a round:`);
  console.log(`  untraced async fn:             ${us(r.tracing.plain)}`);
  console.log(`  tracker.span(name, fn):        ${us(r.tracing.traced)} (overhead ${us(over("traced"))})`);
  console.log(`  spanExporter().export([span]): ${us(r.tracing.exporter)}`);
} finally {
  await browser.close();
  await server.close();
}

const { ExperimentTracker } = await import("../src/node.js");
const t = await ExperimentTracker.open("memory://");
await t.startExperiment();
for (let i = 0; i < 50_000; i++) t.logDynamic("warm", i);
const perCall = [];
for (let round = 0; round < 10; round++) {
  const start = performance.now();
  for (let i = round * 100_000; i < (round + 1) * 100_000; i++) t.logDynamic("loss", i * 0.5, { step: i });
  perCall.push(((performance.now() - start) * 1e6) / 100_000);
  await t.flush();
}
await t.endExperiment();
perCall.sort((a, b) => a - b);
console.log(
  `\nlogDynamic with { step }, JS -> wasm, buffered (Node ${process.versions.node}): ` +
    `${perCall[0].toFixed(0)} ns best, ${perCall[5].toFixed(0)} ns median`,
);
