// End-to-end: the built dashboard in headless Chromium against a real server (the JSON API
// plus the embedded dist/). Screenshots go to tests/e2e/artifacts/ for a human look.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startServer, launch, postBatch, richRun, points, ARTIFACTS, ROOT } from "./harness.mjs";

let server;
let browser;
let page;
const errors = [];
const now = Date.now();

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const rows = () => page.locator(".tbody .row[data-id]");
/** The table has loaded, picked its default columns and laid out. */
async function tableSettled() {
  await page.locator(".hcell.param").first().waitFor();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer(["--store", "memory://"]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("dialog", async (d) => {
    if (d.type() === "confirm") return d.accept();
    errors.push(`unexpected dialog: ${d.message()}`);
    return d.dismiss();
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test("an empty store explains how to log a first run", async () => {
  await page.goto(server.url);
  await page.getByText("No experiments in This server yet").waitFor();
  await page.getByText("sextant demo").first().waitFor();
  await shot("empty-state");
});

test("experiments table lists the runs with live status", async () => {
  await postBatch(server.url, richRun("e2e-alpha", { name: "alpha-baseline", group: "vision", tags: ["baseline", "resnet"], lr: 0.001, status: "completed", created_at: now - 3_600_000 }));
  await postBatch(server.url, richRun("e2e-beta", { name: "beta-high-lr", group: "vision", tags: ["sweep"], lr: 0.01, status: "running", created_at: now - 1_800_000, noise: 0.05 }));
  await postBatch(server.url, richRun("e2e-gamma", { name: "gamma-nlp", group: "nlp", tags: [], lr: 0.003, status: "failed", created_at: now - 600_000 }));
  // The page is still open on the empty state: the live feed brings the runs in.
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 3, null, { timeout: 15_000 });
  assert.equal(await rows().count(), 3);
  assert.equal(await rows().first().locator(".name").textContent(), "gamma-nlp", "newest first");
  await shot("experiments");

  await tableSettled();
  // Text filter and a group facet.
  await page.fill("input.search", "gamma");
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 1);
  await page.fill("input.search", "");
  await page.locator(".facet-item", { hasText: "vision" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 2);
  await page.locator(".facet-item", { hasText: "vision" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 3);

  // The search language: latest metrics, tags, an error with its column, key completion.
  const rowCount = (n) => page.waitForFunction((n) => document.querySelectorAll(".tbody .row[data-id]").length === n, n);
  await page.fill("input.search", "metrics.`val/acc` > 0.7");
  await rowCount(2);
  await page.fill("input.search", "metrics.`val/acc` > 0.7 and tags = 'sweep'");
  await rowCount(1);
  assert.equal(await rows().first().locator(".name").textContent(), "beta-high-lr");
  await page.fill("input.search", "params.optimizer = 'adamw' and attributes.status != 'failed'");
  await rowCount(2);
  const broken = "metrics.`val/acc` >";
  await page.fill("input.search", broken);
  await page.locator(".search-error").waitFor();
  assert.match(await page.locator(".search-error").textContent(), new RegExp(`column ${broken.length + 1}`));
  assert.equal(await page.locator("input.search").getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator(".search-echo mark").count(), 1);
  await shot("search-error");
  await page.fill("input.search", "params.bat");
  await page.waitForFunction(() => document.querySelector("#search-keys option")?.value === "params.batch_size");
  await page.fill("input.search", "metrics.va");
  await page.waitForFunction(() => [...document.querySelectorAll("#search-keys option")].map((o) => o.value).join("|") === "metrics.`val/acc`|metrics.`val/loss`");
  await page.fill("input.search", "");
  await rowCount(3);
  assert.equal(await page.locator(".search-error").count(), 0);

  // Sort by a param column (lr ascending puts alpha first).
  await page.locator(".hcell", { hasText: "lr" }).first().click();
  await page.waitForFunction(() => document.querySelector(".tbody .row[data-id] .name")?.textContent === "alpha-baseline");
  assert.match(page.url(), /sort=param:lr/);

  // Live status: beta ends.
  await postBatch(server.url, [{ op: "set_status", experiment: "e2e-beta", status: "completed", duration: 99 }]);
  await page.locator('.row[data-id="e2e-beta"] .status.completed').waitFor({ timeout: 15_000 });
});

test("experiment overview shows params, metrics, description and details", async () => {
  await page.locator('.row[data-id="e2e-alpha"]').click();
  await page.waitForURL(/\/experiments\/e2e-alpha$/);
  await page.locator(".overview table.kv").first().waitFor();
  const params = await page.locator(".overview .card").first().textContent();
  for (const p of ["lr", "batch_size", "optimizer", "float", "int", "json"]) assert.ok(params.includes(p), `params show ${p}`);
  // Markup in the description is text, not elements.
  assert.equal(await page.locator(".markdown b").count(), 0);
  assert.ok((await page.locator(".markdown").textContent()).includes("<b>markup</b>"));
  await shot("overview");
});

test("charts render one series per run, zoom, and smooth", async () => {
  await page.locator(".tab", { hasText: "Charts" }).click();
  await page.waitForURL(/\/charts/);
  const loss = page.locator('.chart-card[data-key="train/loss"]');
  await loss.locator('.chart[data-series-count="1"]').waitFor();
  assert.equal(await page.locator(".chart-card").count(), 5);
  assert.deepEqual(await page.locator(".chart-section summary .section-name").allTextContents(), ["metrics", "train", "val"]);
  await shot("charts");

  // Drag across the middle of the plot: the window narrows and a reset appears.
  const box = await loss.locator("canvas.overlay").boundingBox();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await loss.getByText("Reset zoom").waitFor();
  // Hover shows a tooltip with every series' value.
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
  await loss.locator(".tooltip .tt-row").waitFor();
  await shot("chart-zoomed");
  await loss.getByText("Reset zoom").click();

  // Smoothing and log scale.
  await page.locator('input[type="range"]').fill("0.8");
  await page.locator(".control", { hasText: "Log y" }).locator("input").check();
  await page.waitForTimeout(300);
  await shot("charts-smoothed-log");
  await page.locator('input[type="range"]').fill("0");
  await page.locator(".control", { hasText: "Log y" }).locator("input").uncheck();
});

test("a long series is drawn from buckets and re-queried on zoom", async () => {
  await postBatch(server.url, [
    { op: "create", id: "e2e-long", name: "long-run", group: "bench", tags: [], created_at: now, description: null, source: null },
    { op: "metrics", experiment: "e2e-long", key: "train/loss", points: points(50_000, (s) => Math.exp(-s / 20_000) + 0.1 * Math.sin(s / 50)) },
    { op: "set_status", experiment: "e2e-long", status: "completed", duration: 10 },
  ]);
  await page.goto(`${server.url}/experiments/e2e-long/charts?key=train/loss`);
  const chart = page.locator('.chart-card[data-key="train/loss"] .chart');
  await chart.waitFor();
  await page.waitForFunction(() => Number(document.querySelector(".chart")?.dataset.points) > 0);
  const before = Number(await chart.getAttribute("data-points"));
  assert.ok(before < 50_000 && before <= 4_000, `overview is bucketed: ${before} points`);
  const box = await page.locator("canvas.overlay").boundingBox();
  await page.mouse.move(box.x + box.width * 0.5, box.y + 40);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.53, box.y + 40, { steps: 3 });
  await page.mouse.up();
  await page.waitForFunction(() => performance.getEntriesByName("sextant:requery").length > 0, null, { timeout: 10_000 });
  const requery = await page.evaluate(() => performance.getEntriesByName("sextant:requery").map((e) => e.duration));
  assert.ok(requery.length >= 1);
  await shot("chart-requeried");
});

test("attachments preview safely and download", async () => {
  await page.goto(`${server.url}/experiments/e2e-alpha/attachments`);
  await page.locator(".tree-item.file").first().waitFor();
  assert.equal(await page.locator(".tree-item.folder").count(), 4);
  await page.locator('.tree-item[data-name="notes/README.md"]').click();
  await page.locator(".preview-pane .markdown h1", { hasText: "Findings" }).waitFor();
  assert.equal(await page.locator(".preview-pane script").count(), 0);
  assert.equal(await page.locator('.preview-pane a[href^="javascript"]').count(), 0);
  assert.equal(await page.locator('.preview-pane a[href="https://example.com"]').count(), 1);
  await shot("attachment-markdown");

  await page.locator('.tree-item[data-name="plots/curve.svg"]').click();
  const img = page.locator(".preview-pane img");
  await img.waitFor();
  assert.match(await img.getAttribute("src"), /^blob:/);
  await page.waitForFunction(() => document.querySelector(".preview-pane img")?.complete);
  await shot("attachment-svg");

  await page.locator('.tree-item[data-name="data/sample.csv"]').click();
  await page.locator("table.csv td", { hasText: "0.3, approx" }).waitFor();
  await shot("attachment-csv");

  await page.locator('.tree-item[data-name="config.json"]').click();
  await page.locator("pre.json", { hasText: '"dropout": 0.1' }).waitFor();

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download" }).click();
  assert.equal((await download).suggestedFilename(), "config.json");
  assert.notEqual(await page.title(), "PWNED", "no attachment ran script");
});

test("traces table and waterfall with a span panel", async () => {
  await page.goto(`${server.url}/experiments/e2e-alpha/traces`);
  await page.locator(".traces-table tbody tr").first().click();
  await page.locator(".wf-row[data-span]").first().waitFor();
  assert.equal(await page.locator(".wf-row[data-span]").count(), 5);
  await page.locator('.wf-row[data-span="0000000000000004"]').click();
  await page.locator(".span-details", { hasText: "nan in softmax" }).waitFor();
  await page.locator('.wf-row[data-span="0000000000000003"]').click();
  await page.locator(".span-details", { hasText: "checkpoint" }).waitFor();
  await shot("traces");
  // Folding a span hides its children.
  await page.locator('.wf-row[data-span="0000000000000003"] .caret').click();
  await page.waitForFunction(() => document.querySelectorAll(".wf-row[data-span]").length === 4);
});

test("compare overlays runs and diffs params", async () => {
  await page.goto(server.url);
  await tableSettled();
  await page.locator('.row[data-id="e2e-alpha"] .cell.check input').click();
  await page.locator('.row[data-id="e2e-beta"] .cell.check input').click();
  await page.getByRole("button", { name: "Compare" }).click();
  await page.waitForURL(/\/compare\?ids=/);
  await page.locator('.chart-card[data-key="train/loss"] .chart[data-series-count="2"]').waitFor();
  const table = page.locator(".compare-table").first();
  await table.locator("td.key", { hasText: "lr" }).waitFor();
  assert.equal(await table.locator("td.key", { hasText: "batch_size" }).count(), 0, "same params hidden");
  await shot("compare");
  await page.locator(".control", { hasText: "Only differing" }).locator("input").uncheck();
  await table.locator("td.key", { hasText: "batch_size" }).waitFor();
});

test("a running experiment's charts grow live with only the new points", async () => {
  await postBatch(server.url, [{ op: "set_status", experiment: "e2e-beta", status: "running", duration: null }]);
  await page.goto(`${server.url}/experiments/e2e-beta/charts?key=train/loss`);
  const chart = page.locator('.chart-card[data-key="train/loss"] .chart');
  await page.waitForFunction(() => Number(document.querySelector(".chart")?.dataset.points) === 500);
  const asked = [];
  page.on("request", (r) => r.url().includes("/metrics/train/loss") && asked.push(r.url()));
  await postBatch(server.url, [{ op: "metrics", experiment: "e2e-beta", key: "train/loss", points: points(100, (s) => 0.2 + 0.01 * Math.sin(s), 500) }]);
  await page.waitForFunction(() => Number(document.querySelector(".chart")?.dataset.points) === 600, null, { timeout: 15_000 });
  assert.ok(asked.some((u) => u.includes("from=500")), `fetched only new points: ${asked}`);
  assert.equal(Number(await chart.getAttribute("data-points")), 600);
  await shot("live-growth");
});

test("a snapshot file opens in the browser", async () => {
  const tar = Buffer.from(await (await fetch(`${server.url}/api/experiments/e2e-alpha/export`)).arrayBuffer());
  const file = join(tmpdir(), "e2e-alpha.tar");
  writeFileSync(file, tar);
  await page.goto(`${server.url}/sources`);
  await page.locator(".file-drop input").setInputFiles(file);
  await page.locator(".source-pill", { hasText: "File · e2e-alpha.tar" }).waitFor({ timeout: 60_000 });
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 1);
  await page.locator('.row[data-id="e2e-alpha"]').click();
  await page.locator(".tab", { hasText: "Charts" }).click();
  await page.locator('.chart-card[data-key="train/loss"] .chart[data-series-count="1"]').waitFor();
  await shot("snapshot-file");
  await page.goto(`${server.url}/sources`);
  await page.getByRole("button", { name: "Use this server" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 4);
});

test("a run logged by the example page shows from this browser's IndexedDB", { skip: !existsSync(join(ROOT, "dist", "pkg")) && "dist/ has no npm package (www/pkg not built)" }, async () => {
  await page.goto(`${server.url}/examples/browser/index.html`);
  // The page trains once on load and lists the runs it kept.
  await page.waitForFunction(() => document.title.startsWith("done"), null, { timeout: 60_000 });
  await page.goto(`${server.url}/sources`);
  await page.getByRole("button", { name: "idb://sextant-examples" }).click();
  await page.locator(".source-pill", { hasText: "IndexedDB sextant-examples" }).waitFor();
  await rows().first().waitFor({ timeout: 20_000 });
  assert.match(page.url(), /source=idb:\/\/sextant-examples/);
  await shot("browser-source");
  await rows().first().click();
  await page.locator(".tab", { hasText: "Charts" }).click();
  await page.locator(".chart-card .chart[data-series-count='1']").first().waitFor();
  await shot("browser-source-charts");
  await page.goto(`${server.url}/sources`);
  await page.getByRole("button", { name: "Use this server" }).click();
  await page.waitForFunction(() => document.querySelectorAll(".tbody .row[data-id]").length === 4);
});

test("deep links, errors and the dark theme", async () => {
  await page.goto(`${server.url}/experiments/e2e-alpha/charts?key=val/acc`);
  await page.locator('.chart-card[data-key="val/acc"] .chart[data-series-count="1"]').waitFor();
  assert.equal(await page.locator(".chart-card").count(), 1);
  await page.goto(`${server.url}/compare?ids=e2e-alpha,e2e-gamma`);
  await page.locator('.chart-card[data-key="val/acc"] .chart[data-series-count="2"]').waitFor();

  await page.goto(`${server.url}/experiments/does-not-exist`);
  await page.locator(".error-box", { hasText: "not found" }).waitFor();
  await shot("error");

  await page.goto(server.url);
  await rows().first().waitFor();
  await page.locator(".icon-btn[aria-label='Switch theme']").click();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), "dark");
  await shot("experiments-dark");
  await page.goto(`${server.url}/experiments/e2e-alpha/charts`);
  await page.locator(".chart-card .chart[data-series-count='1']").first().waitFor();
  await page.waitForTimeout(300);
  await shot("charts-dark");
  await page.locator(".icon-btn[aria-label='Switch theme']").click();
  assert.deepEqual(errors, []);
});

test("images over steps: the slider moves through steps, and compared runs sit side by side", async () => {
  // What log_image writes: media/KEY/STEP.png plus the key's index (sextant_core::MediaIndex).
  const pngs = [
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGN4pqEBRwzEcQAD8hNhWzrcAAAAAABJRU5ErkJggg==",
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGPQ2GIDRwzEcQDGAxGBhEEuAAAAAABJRU5ErkJggg==",
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGPQCHgGRwzEcQAtMhXhf4ShJQAAAABJRU5ErkJggg==",
  ];
  const imageRun = (id, name, steps, created_at) => {
    const images = steps.map((step, i) => ({
      step,
      name: `media/samples/${step}.png`,
      size: Buffer.from(pngs[i % pngs.length], "base64").length,
      format: "png",
      logged_at: created_at + step,
    }));
    return [
      { op: "create", id, name, group: "vision", tags: [], created_at, description: null, source: null },
      ...images.map((img, i) => ({ op: "attachment", experiment: id, name: img.name, created_at, data: pngs[i % pngs.length] })),
      {
        op: "attachment",
        experiment: id,
        name: "media/samples/index.json",
        created_at,
        data: Buffer.from(JSON.stringify({ key: "samples", images })).toString("base64"),
      },
    ];
  };
  await postBatch(server.url, imageRun("e2e-img-a", "images-a", [0, 5, 10], now - 500_000));
  await postBatch(server.url, imageRun("e2e-img-b", "images-b", [0, 10], now - 400_000));

  await page.goto(`${server.url}/experiments/e2e-img-a/images`);
  const card = page.locator('.media-key[data-key="samples"]');
  const shown = () => card.locator("img").first().getAttribute("data-step");
  await card.locator('img[data-step="10"]').waitFor();
  assert.match(await card.locator(".media-step").textContent(), /step 10/);
  await card.locator(".media-slider").fill("0");
  await card.locator('img[data-step="0"]').waitFor();
  assert.equal(await shown(), "0");
  await card.locator(".media-slider").fill("1");
  await card.locator('img[data-step="5"]').waitFor();
  assert.match(await card.locator(".media-step").textContent(), /step 5/);
  assert.ok(await card.locator("img").first().evaluate((img) => img.complete && img.naturalWidth === 4), "the PNG decoded");
  await shot("images-slider");

  await page.goto(`${server.url}/compare?ids=e2e-img-a,e2e-img-b`);
  const both = page.locator('.media-key[data-key="samples"]');
  await both.locator('.media-cell[data-run="e2e-img-b"] img[data-step="10"]').waitFor();
  assert.equal(await both.locator(".media-cell").count(), 2);
  await both.locator(".media-slider").fill("1");
  // Step 5: run a has its own image, run b still shows its latest before it (step 0).
  await both.locator('.media-cell[data-run="e2e-img-a"] img[data-step="5"]').waitFor();
  await both.locator('.media-cell[data-run="e2e-img-b"] img[data-step="0"]').waitFor();
  await shot("images-compare");
});
