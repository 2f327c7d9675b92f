// End-to-end: a run's Evals tab and the compare page's eval averages, in headless Chromium
// against a real server. Screenshots go to tests/e2e/artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { startServer, launch, postBatch, ARTIFACTS } from "./harness.mjs";

let server;
let browser;
let page;
const errors = [];
const now = Date.now();
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const N = 2000;

const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** A run with `n` samples over two datasets, one of them linked to a trace. */
function evalRun(id, name, n, bias) {
  const records = [
    { op: "create", id, name, group: "evals", tags: [], created_at: now - 60_000, description: null, source: null },
    {
      op: "spans",
      experiment: id,
      spans: [{
        trace_id: TRACE, span_id: "00f067aa0ba902b7", parent_span_id: null, name: "generate", kind: 1, dfs_span_type: 0,
        start_time_unix_nano: now * 1e6, end_time_unix_nano: now * 1e6 + 5e6, status: "ok", attributes: {}, events: [], links: [],
      }],
    },
  ];
  for (let i = 0; i < n; i++) {
    const at = now - 50_000 + i;
    records.push({
      op: "eval_sample",
      experiment: id,
      sample: {
        id: `s${String(i).padStart(4, "0")}`,
        dataset_id: i % 4 === 0 ? "math" : "qa",
        inputs: { prompt: `question ${i}` },
        outputs: { answer: `answer ${i}` },
        refs: { expected: `answer ${i}` },
        scores: { acc: ((i * 37) % 101) / 100 + bias, f1: (i % 10) / 10 },
        metadata: null,
        created_at: at,
        updated_at: at,
      },
    });
  }
  records.push({
    op: "eval_trace_link", experiment: id, id: "link-1", dataset_id: "math", eval_id: "s0000", trace_id: TRACE, created_at: now,
  });
  records.push({ op: "set_status", experiment: id, status: "completed", duration: 60 });
  return records;
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer(["--store", "memory://"]);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  await postBatch(server.url, evalRun("ev-a", "evals-a", N, 0));
  await postBatch(server.url, evalRun("ev-b", "evals-b", 40, -0.25));
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const rowIds = () => page.locator(".evals-table .row[data-eval]").evaluateAll((rs) =>
  rs.sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top)).map((r) => r.dataset.eval));

test("the Evals tab shows samples windowed, with averages per dataset", async () => {
  await page.goto(`${server.url}/experiments/ev-a/evals`);
  await page.locator(".evals-table .row[data-eval]").first().waitFor();
  const shown = await page.locator(".evals-table .row[data-eval]").count();
  assert.ok(shown > 10 && shown < 200, `only the rows in view are in the page (${shown} of ${N})`);
  assert.equal(await page.locator('[data-test="eval-count"]').textContent(), `${N} of ${N} samples`);
  const avg = page.locator(".eval-averages");
  await avg.locator('tr[data-dataset="math"]').waitFor();
  assert.equal(await avg.locator('tr[data-dataset="all"] td').nth(1).textContent(), String(N));
  assert.equal(await avg.locator('tr[data-dataset="math"] td').nth(1).textContent(), String(N / 4));
  await shot("evals");
});

test("sorting and filtering by a score", async () => {
  await page.locator('[data-test="eval-sort"]').selectOption("scores.acc");
  const top = await rowIds();
  const accOf = async (id) => parseFloat(await page.locator(`.evals-table .row[data-eval="${id}"] [data-score="acc"]`).textContent());
  assert.ok((await accOf(top[0])) >= (await accOf(top[1])), "descending by acc");
  assert.equal(await accOf(top[0]), 1, "the best first");
  await page.locator('[data-test="eval-order"]').click();
  await page.waitForFunction(() => {
    const r = [...document.querySelectorAll(".evals-table .row[data-eval]")].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))[0];
    return r && parseFloat(r.querySelector('[data-score="acc"]').textContent) === 0;
  });
  await page.locator('[data-test="eval-filter"]').fill("acc >= 0.9");
  await page.waitForFunction(() => /^\d+ of 2000 samples$/.test(document.querySelector('[data-test="eval-count"]').textContent)
    && !document.querySelector('[data-test="eval-count"]').textContent.startsWith("2000 "));
  for (const id of (await rowIds()).slice(0, 5)) assert.ok((await accOf(id)) >= 0.9, id);
  await page.locator('[data-test="eval-filter"]').fill("acc >=");
  await page.locator('[data-test="eval-filter-error"]').waitFor();
  await page.locator('[data-test="eval-filter"]').fill("");
  await page.locator('[data-test="eval-dataset"]').selectOption("math");
  await page.waitForFunction(() => document.querySelector('[data-test="eval-count"]').textContent === "500 of 2000 samples");
  await shot("evals-sorted");
});

test("a sample shows its trace link and takes an annotation", async () => {
  await page.locator('[data-test="eval-order"]').click(); // back to descending
  await page.locator('[data-test="eval-sort"]').selectOption("id");
  await page.locator('[data-test="eval-order"]').click(); // ascending: s0000 first
  await page.locator(".evals-table").evaluate((el) => { el.scrollTop = 0; });
  await page.locator('.evals-table .row[data-eval="s0000"]').click();
  const panel = page.locator('[data-test="eval-panel"]');
  await panel.getByText("question 0").waitFor();
  await panel.locator("form[data-test=annotate] input").nth(1).fill("e2e-user");
  await panel.getByRole("button", { name: "Add annotation" }).click();
  await panel.locator('li[data-annotation="correct"]', { hasText: "e2e-user" }).waitFor();
  const stored = await (await fetch(`${server.url}/api/experiments/ev-a/annotations`)).json();
  assert.equal(stored.length, 1);
  assert.equal(stored[0].user, "e2e-user");
  assert.equal(stored[0].eval_id, "s0000");
  await shot("evals-annotated");
  await panel.locator(`a:has-text("${TRACE}")`).click();
  await page.waitForURL(/\/experiments\/ev-a\/traces\?trace=/);
  await page.locator(".wf-row[data-span]").first().waitFor();
});

test("compare shows eval averages per run", async () => {
  await page.goto(`${server.url}/compare?ids=ev-a,ev-b`);
  const table = page.locator('[data-test="compare-evals"]');
  await table.locator('tr[data-score="acc"]').waitFor();
  const cells = await table.locator('tr[data-score="acc"] td.num').allTextContents();
  assert.equal(cells.length, 2);
  assert.ok(parseFloat(cells[0]) > parseFloat(cells[1]), `run a scores higher: ${cells}`);
  await shot("compare-evals");
  assert.deepEqual(errors, []);
});
