// Dashboard benchmark (scripts/bench-dashboard.sh): prints figures, asserts nothing.
//  1. one run with 10,000,000 points in one metric: first chart paint, then each zoom's
//     re-query (request sent → finer points painted), target ≤ 100 ms;
//  2. 10,000 runs: table load, frame times while scrolling, a sort;
//  3. the dashboard's wasm and JS, gzipped (target ≤ 1 MB).
import { readdirSync, readFileSync, mkdtempSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { startServer, launch, ROOT } from "./harness.mjs";

const POINTS = Number(process.env.BENCH_POINTS ?? 10_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const STORE = process.env.BENCH_STORE === "sqlite" ? `sqlite://${mkdtempSync(join(tmpdir(), "sextant-bench-"))}` : "memory://";

const ms = (v) => `${v.toFixed(1)} ms`;
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function chartBench(browser) {
  const t0 = Date.now();
  const server = await startServer(["--store", STORE, "--seed-points", String(POINTS)]);
  console.log(`\n== ${POINTS.toLocaleString()} points in one metric (${STORE.split(":")[0]} store; seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const started = Date.now();
    await page.goto(`${server.url}/experiments/bench-points/charts?key=train/loss`);
    await page.waitForFunction(() => performance.getEntriesByName("sextant:first-paint").length > 0, null, { timeout: 600_000 });
    const wall = Date.now() - started;
    const fp = await page.evaluate(() => {
      const e = performance.getEntriesByName("sextant:first-paint")[0];
      return { sinceNavigation: e.startTime + e.duration, sinceMount: e.duration };
    });
    const drawn = await page.locator(".chart").getAttribute("data-points");
    console.log(`first chart paint: ${ms(fp.sinceNavigation)} after navigation (${ms(fp.sinceMount)} from chart mount; ${drawn} bucketed points drawn; wall ${wall} ms)`);

    const overlay = page.locator("canvas.overlay");
    // Each drag keeps the middle tenth of the current window: 10M → 1M → 100k → 10k → 1k steps.
    const results = [];
    for (let i = 0; i < 5; i++) {
      const box = await overlay.boundingBox();
      const left = 54, right = 14;
      const plot = box.width - left - right;
      const y = box.y + box.height / 2;
      const before = await page.evaluate(() => performance.getEntriesByName("sextant:requery").length);
      await page.mouse.move(box.x + left + plot * 0.45, y);
      await page.mouse.down();
      await page.mouse.move(box.x + left + plot * 0.55, y, { steps: 4 });
      await page.mouse.up();
      const got = await page
        .waitForFunction((n) => performance.getEntriesByName("sextant:requery").length > n, before, { timeout: 120_000 })
        .then(() => true, () => false);
      const window = await page.evaluate(() => document.querySelector(".chart")?.dataset.points);
      if (!got) {
        results.push({ zoom: i + 1, requery: null, points: window });
        console.log(`zoom ${i + 1}: no re-query needed (all points already held)`);
        continue;
      }
      const d = await page.evaluate((n) => performance.getEntriesByName("sextant:requery")[n].duration, before);
      results.push({ zoom: i + 1, requery: d, points: window });
      const span = POINTS / 10 ** (i + 1);
      console.log(`zoom ${i + 1} (≈${Math.round(span).toLocaleString()} steps visible): re-query ${ms(d)}, ${window} points drawn`);
    }
    const qs = results.map((r) => r.requery).filter((v) => v != null);
    if (qs.length) console.log(`re-query: median ${ms(pct(qs, 50))}, max ${ms(Math.max(...qs))} (target ≤ 100 ms)`);
    await page.close();
  } finally {
    server.stop();
  }
}

async function tableBench(browser) {
  const server = await startServer(["--store", "memory://", "--seed-runs", String(RUNS)]);
  console.log(`\n== ${RUNS.toLocaleString()} runs in the experiments table`);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const t = Date.now();
    await page.goto(server.url);
    await page.waitForFunction((n) => document.querySelector(".count-label")?.textContent.startsWith(`${n} of`), RUNS, { timeout: 120_000 });
    console.log(`table ready: ${Date.now() - t} ms after navigation; rows in the DOM: ${await page.locator(".tbody .row[data-id]").count()}`);
    // A steady scroll (60 px a frame, 3,600 px/s) and a fast flick (240 px a frame).
    for (const px of [60, 240]) {
      const frames = await page.evaluate(async (px) => {
        const el = document.querySelector(".table-scroll");
        el.scrollTop = 0;
        await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
        const deltas = [];
        let last = performance.now();
        return new Promise((resolve) => {
          let n = 0;
          const step = (now) => {
            deltas.push(now - last);
            last = now;
            el.scrollTop += px;
            if (++n < 300 && el.scrollTop + el.clientHeight < el.scrollHeight) requestAnimationFrame(step);
            else resolve({ deltas: deltas.slice(1), top: el.scrollTop });
          };
          requestAnimationFrame(step);
        });
      }, px);
      const d = frames.deltas;
      const over = (lim) => d.filter((x) => x > lim).length;
      console.log(`scrolling ${px} px a frame for ${d.length} frames (to row ${Math.round(frames.top / 36)}): median ${ms(pct(d, 50))}, p95 ${ms(pct(d, 95))}, max ${ms(Math.max(...d))}; frames over 16.7 ms: ${over(17.5)}, over 33 ms: ${over(34)}`);
    }
    // Click and wait for two frames inside the page, so no driver round trip is counted.
    const sortMs = await page.evaluate(async () => {
      const header = [...document.querySelectorAll(".hcell")].find((h) => h.textContent.includes("lr"));
      const t = performance.now();
      header.click();
      await new Promise((r) => setTimeout(r, 0));
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t;
    });
    const arrange = await page.evaluate(() => performance.getEntriesByName("sextant:arrange").at(-1)?.duration ?? NaN);
    console.log(`sort ${RUNS.toLocaleString()} runs by a param column: ${ms(sortMs)} click to painted (filter + sort itself: ${ms(arrange)})`);
    const filterStart = await page.evaluate(() => performance.now());
    await page.fill("input.search", "sweep-0999");
    await page.waitForFunction(() => document.querySelector(".count-label")?.textContent.startsWith("1 of") || document.querySelector(".count-label")?.textContent.startsWith("10 of"));
    const filterEnd = await page.evaluate(() => performance.now());
    const arrange2 = await page.evaluate(() => performance.getEntriesByName("sextant:arrange").at(-1)?.duration ?? NaN);
    console.log(`text filter over ${RUNS.toLocaleString()} runs: ${ms(filterEnd - filterStart)} typed to painted (filter + sort itself: ${ms(arrange2)})`);
    await page.close();
  } finally {
    server.stop();
  }
}

function sizeReport() {
  console.log("\n== dashboard size (dist/)");
  let total = 0;
  for (const f of readdirSync(join(ROOT, "dist"))) {
    if (!/\.(wasm|js)$/.test(f)) continue;
    const raw = readFileSync(join(ROOT, "dist", f));
    const gz = gzipSync(raw, { level: 9 }).length;
    const lazy = f.startsWith("snapshot_worker");
    if (!lazy) total += gz;
    console.log(`${f.padEnd(48)} ${String(raw.length).padStart(9)} bytes ${String(gz).padStart(9)} gzip${lazy ? "  (loaded only when a snapshot file is opened)" : ""}`);
  }
  console.log(`dashboard wasm + JS loaded on every visit: ${(total / 1024).toFixed(0)} KB gzip (target ≤ 1024 KB)`);
}

const browser = await launch();
try {
  sizeReport();
  await tableBench(browser);
  await chartBench(browser);
} finally {
  await browser.close();
}
