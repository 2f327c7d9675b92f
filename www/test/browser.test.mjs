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
