// End-to-end: the analysis views (parallel coordinates with brushing, scatter with hover,
// min/max metric columns, grouped charts, the chart grid) in headless Chromium against a
// real server over a SQLite store holding 200 runs. Screenshots go to tests/e2e/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startServer, launch, postBatch, points, ARTIFACTS } from "./harness.mjs";

const RUNS = 200;
const dir = mkdtempSync(join(tmpdir(), "sextant-views-"));
let server;
let browser;
let page;
const errors = [];

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const id = (i) => `views-${String(i).padStart(3, "0")}`;
const countLabel = () => page.locator(".count-label").textContent();
/** Two animation frames: layout after a re-render (or a full-page screenshot) has settled. */
const settled = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const waitCount = (n) => page.waitForFunction((n) => document.querySelector(".count-label")?.textContent.startsWith(`${n} of `), n, { timeout: 15_000 });

/** Run i: lr log-spaced, two optimizers, val/acc = i/200 (NaN for run 7), and a train/loss
 *  whose last, lowest and highest values are known: 2+i/100, 0.5+i/1000, 3+i/100, 1+i/100;
 *  run 0 logs NaN where the others log their highest. */
function run(i) {
  const e = id(i);
  const loss = [2 + i / 100, 0.5 + i / 1000, i === 0 ? NaN : 3 + i / 100, 1 + i / 100];
  const records = [
    { op: "create", id: e, name: e, group: i % 2 ? "odd" : "even", tags: [], created_at: 1_764_000_000_000 + i * 1000, description: null, source: null },
    {
      op: "params",
      experiment: e,
      params: [
        ["lr", { type: "float", value: 1e-4 * Math.pow(10, (i % 20) / 10) }],
        ["optimizer", { type: "str", value: i % 3 ? "adamw" : "sgd" }],
        ["seed", { type: "int", value: i }],
      ],
    },
    { op: "metrics", experiment: e, key: "train/loss", points: points(4, (s) => loss[s]) },
    { op: "metrics", experiment: e, key: "val/acc", points: points(1, () => (i === 7 ? NaN : i / RUNS)) },
    { op: "set_status", experiment: e, status: "completed", duration: 10 },
  ];
  // One run has an unprefixed metric too: its chart page then has three one-chart sections.
  if (i === 0) records.push({ op: "metrics", experiment: e, key: "lr_sched", points: points(20, (s) => 1 / (1 + s)) });
  return records;
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer(["--store", `sqlite://${dir}`]);
  for (let i = 0; i < RUNS; i += 25) {
    await postBatch(server.url, Array.from({ length: 25 }, (_, k) => run(i + k)).flat());
  }
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
});

after(async () => {
  await browser?.close();
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("parallel coordinates draw 200 runs and brushing an axis filters the table", async () => {
  await page.goto(server.url);
  await page.locator(".tbody .row[data-id]").first().waitFor();
  await waitCount(RUNS);
  await page.getByRole("button", { name: "Parallel coordinates" }).click();
  const pc = page.locator(".parallel");
  await pc.waitFor();
  assert.equal(await pc.getAttribute("data-runs"), String(RUNS));
  // Default axes: the params that vary, then the metrics (lr_sched: only run 0 has it, so
  // every other line breaks there).
  const dims = await page.locator(".pc-axis").evaluateAll((gs) => gs.map((g) => g.dataset.dim));
  assert.deepEqual(dims, ["param:lr", "param:optimizer", "param:seed", "metric:lr_sched", "metric:train/loss", "metric:val/acc"]);
  assert.equal(await page.locator(".pc-line[data-id]").count(), RUNS, "one line per run");
  await shot("parallel-200");

  // Brush val/acc from its top down to three quarters: the table keeps those runs only.
  const hitRect = page.locator('.pc-axis[data-dim="metric:val/acc"] .pc-hit');
  await hitRect.waitFor();
  await settled();
  const hit = await hitRect.boundingBox();
  const top = hit.y + 4; // the axis's top (u = 1)
  const bottom = hit.y + hit.height - 4; // u = 0
  await page.mouse.move(hit.x + hit.width / 2, top);
  await page.mouse.down();
  await page.mouse.move(hit.x + hit.width / 2, top + (bottom - top) * 0.25, { steps: 5 });
  await page.mouse.up();
  await page.locator(".pc-brush").waitFor();
  const kept = Number(await pc.getAttribute("data-kept"));
  assert.ok(kept > 40 && kept < 60, `about a quarter of the runs kept: ${kept}`);
  await waitCount(kept);
  assert.equal(await countLabel(), `${kept} of ${RUNS} runs`);
  assert.equal(await page.locator(".brush-note").textContent(), `${kept} of ${RUNS} runs in the brushed ranges`);
  // Every row the table shows is inside the brush (val/acc ≥ 0.74 or so), run 7 (NaN) never.
  const accs = await page.locator('.tbody .row[data-id] .cell[data-col="metric:val/acc"]').allTextContents();
  assert.ok(accs.length > 0 && accs.every((t) => Number(t) >= 0.7), `brushed rows: ${accs}`);
  assert.equal(await page.locator(`.row[data-id="${id(7)}"]`).count(), 0);
  await shot("parallel-brushed");

  // A second brush narrows further (the optimizer axis's lower category is adamw).
  const opt = await page.locator('.pc-axis[data-dim="param:optimizer"] .pc-hit').boundingBox();
  await page.mouse.move(opt.x + opt.width / 2, opt.y + opt.height - 6);
  await page.mouse.down();
  await page.mouse.move(opt.x + opt.width / 2, opt.y + opt.height * 0.6, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction((k) => Number(document.querySelector(".parallel").dataset.kept) < k, kept);
  const both = Number(await pc.getAttribute("data-kept"));
  await waitCount(both);
  const opts = await page.locator('.tbody .row[data-id] .cell[data-col="param:optimizer"]').allTextContents();
  assert.ok(opts.length > 0 && opts.every((t) => t === "adamw"), `optimizer brushed: ${opts}`);

  // A click on an axis clears its brush; "Clear brushes" clears the rest.
  await page.mouse.click(opt.x + opt.width / 2, opt.y + opt.height / 2);
  await waitCount(kept);
  await page.getByRole("button", { name: "Clear brushes" }).click();
  await waitCount(RUNS);

  // One run (a text filter): one line, on every axis it has a value for.
  await page.fill("input.search", id(3));
  await waitCount(1);
  await page.waitForFunction(() => document.querySelector(".parallel").dataset.runs === "1");
  assert.equal(await page.locator(".pc-line[data-id]").count(), 1);
  await page.fill("input.search", "");
  await waitCount(RUNS);
  assert.deepEqual(errors, []);
});

test("a scatter of a param against a metric, with hover", async () => {
  await page.getByRole("button", { name: "Scatter" }).click();
  await page.locator(".scatter").waitFor();
  await page.locator("select.scatter-x").selectOption("param:lr");
  await page.locator("select.scatter-y").selectOption("metric:val/acc");
  // Run 7's val/acc is NaN: 199 points, and a note says why one is missing.
  await page.waitForFunction(() => document.querySelector(".scatter")?.dataset.points === "199");
  assert.equal(await page.locator(".scatter circle.sc-pt").count(), 199);
  assert.match(await page.locator(".scatter p.small").textContent(), /^1 of 200 runs lack a value/);
  const dot = await page.locator(`.scatter circle[data-id="${id(42)}"]`).boundingBox();
  await page.mouse.move(dot.x + dot.width / 2, dot.y + dot.height / 2);
  const tip = page.locator(".scatter-tip");
  await tip.waitFor();
  assert.equal(await tip.locator(".tt-head").textContent(), id(42));
  assert.match(await tip.textContent(), /val\/acc\s*0\.21/);
  await shot("scatter-hover");
  // A log x axis keeps every point.
  await page.locator(".analysis .control", { hasText: "log x" }).locator("input").check();
  await page.waitForFunction(() => document.querySelector(".scatter")?.dataset.points === "199");
  await shot("scatter-log-x");
  // Clicking the hovered point opens its run.
  await page.locator(".analysis .control", { hasText: "log x" }).locator("input").uncheck();
  const again = await page.locator(`.scatter circle[data-id="${id(42)}"]`).boundingBox();
  await page.mouse.move(again.x + again.width / 2, again.y + again.height / 2);
  await tip.waitFor();
  await page.mouse.click(again.x + again.width / 2, again.y + again.height / 2);
  await page.waitForURL(new RegExp(`/experiments/${id(42)}$`));
  assert.deepEqual(errors, []);
});

test("min and max metric columns show the right values and survive a reload", async () => {
  await page.goto(server.url);
  await page.locator(".tbody .row[data-id]").first().waitFor();
  await page.locator(".picker > summary", { hasText: "Columns" }).click();
  const loss = page.locator('.metric-pick[data-key="train/loss"]');
  await loss.locator('input[data-kind="min"]').check();
  await loss.locator('input[data-kind="max"]').check();
  await page.locator(".picker > summary", { hasText: "Columns" }).click();
  await page.locator(".hcell", { hasText: "min(train/loss)" }).waitFor();
  await page.locator(".hcell", { hasText: "max(train/loss)" }).waitFor();

  const cells = async (runId) => {
    const row = page.locator(`.row[data-id="${runId}"]`);
    await row.waitFor();
    await page.waitForFunction((r) => {
      const c = document.querySelector(`.row[data-id="${r}"] .cell[data-col="max:train/loss"]`);
      return c && c.textContent !== "…";
    }, runId, { timeout: 15_000 });
    const get = (col) => row.locator(`.cell[data-col="${col}"]`).textContent();
    return [await get("metric:train/loss"), await get("min:train/loss"), await get("max:train/loss")];
  };
  await page.fill("input.search", id(10));
  await waitCount(1);
  assert.deepEqual(await cells(id(10)), ["1.1", "0.51", "3.1"], "last, min, max");
  // NaN is left out of the extremes: run 0 logged NaN where it would have had its highest.
  await page.fill("input.search", id(0));
  await waitCount(1);
  assert.deepEqual(await cells(id(0)), ["1", "0.5", "2"]);
  await shot("summary-columns");

  // The choice is kept across a reload; sorting by max puts run 199 (3 + 1.99) first.
  await page.fill("input.search", "");
  await page.reload();
  await page.locator(".hcell", { hasText: "min(train/loss)" }).waitFor();
  await page.locator(".hcell", { hasText: "max(train/loss)" }).click();
  await page.waitForFunction((r) => document.querySelector(".tbody .row[data-id]")?.dataset.id === r, id(199), { timeout: 15_000 });
  assert.match(page.url(), /sort=-max%3Atrain%2Floss|sort=-max:train\/loss/);
  assert.deepEqual(await cells(id(199)), ["2.99", "0.699", "4.99"]);
  await shot("summary-columns-sorted");
  assert.deepEqual(errors, []);
});

test("compare groups runs into mean lines with min-max bands", async () => {
  const ids = Array.from({ length: 12 }, (_, i) => id(i)).join(",");
  await page.goto(`${server.url}/compare?ids=${ids}`);
  const card = page.locator('.chart-card[data-key="train/loss"]');
  await card.locator('.chart[data-series-count="12"]').waitFor();
  await page.locator("select.group-by").selectOption("param:optimizer");
  await card.locator('.chart[data-series-count="2"]').waitFor();
  assert.equal(await card.getAttribute("data-groups"), "2");
  assert.deepEqual(await card.locator(".legend.grouped .legend-name").allTextContents(), ["adamw", "sgd"]);
  // The tooltip gives the mean with the band's range and how many runs were there.
  const box = await card.locator("canvas.overlay").boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await card.locator(".tooltip .tt-row").first().waitFor();
  assert.match(await card.locator(".tooltip").textContent(), /runs\)/);
  await shot("compare-grouped");
  await page.locator("select.group-by").selectOption("group");
  await card.locator('.chart[data-series-count="2"]').waitFor();
  assert.deepEqual(await card.locator(".legend.grouped .legend-name").allTextContents(), ["even", "odd"]);
  await page.locator("select.group-by").selectOption("");
  await card.locator('.chart[data-series-count="12"]').waitFor();
  assert.deepEqual(errors, []);
});

test("the chart page lays one-chart sections side by side across the width", async () => {
  await page.goto(`${server.url}/experiments/${id(0)}/charts`);
  await page.locator('.chart-card .chart[data-series-count="1"]').first().waitFor();
  assert.deepEqual(await page.locator(".chart-section summary .section-name").allTextContents(), ["metrics", "train", "val"]);
  await page.waitForFunction(() => document.querySelector(".chart-sections")?.dataset.columns === "3");
  const boxes = await page.locator(".chart-card").evaluateAll((cs) => cs.map((c) => c.getBoundingClientRect().toJSON()));
  const grid = await page.locator(".chart-sections").evaluate((g) => g.getBoundingClientRect().toJSON());
  assert.equal(boxes.length, 3);
  assert.ok(boxes.every((b) => Math.abs(b.top - boxes[0].top) < 2), "one row");
  const used = boxes.reduce((s, b) => s + b.width, 0);
  assert.ok(used > grid.width * 0.9, `charts use the width: ${used} of ${grid.width}`);
  await shot("charts-grid");
  // A narrow window drops to fewer columns, never below the minimum chart width.
  await page.setViewportSize({ width: 1000, height: 1000 });
  await page.waitForFunction(() => document.querySelector(".chart-sections")?.dataset.columns === "2");
  await shot("charts-grid-narrow");
  await page.setViewportSize({ width: 1400, height: 1000 });
  assert.deepEqual(errors, []);
});
