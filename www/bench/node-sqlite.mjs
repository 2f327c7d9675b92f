// Figures for sqlite:// in Node (after `npm --prefix www run build`): durable points/s
// against the native Rust API on the same workload, bytes per point on disk, and for a
// 5M-point store the open time, RSS and the time to read the last 1,000 points.
//
//   node www/bench/node-sqlite.mjs [--points-5m N]
//
// The native side is `crates/sextant/examples/durable_points.rs`, built here with
// `cargo build --release -p sextant --example durable_points` if missing. A script, not a
// timed test: the figures are for reading.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const www = resolve(fileURLToPath(import.meta.url), "../..");
const root = resolve(www, "..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");
const native = join(targetDir, "release", "examples", "durable_points");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const bigN = arg("--points-5m", 5_000_000);

function du(dir) {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? du(p) : statSync(p).size;
  }
  return total;
}

const fresh = () => join(mkdtempSync(join(tmpdir(), "sextant-bench-")), "store");
const fmt = (n) => Math.round(n).toLocaleString("en");

/** Runs `source` (an ES module body) in a child Node and returns its JSON output. */
function node(source) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", source], {
    cwd: www,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const entry = JSON.stringify(new URL("../src/node.js", import.meta.url).href);

function nodeWorkload(dir, points, every) {
  return node(`
    import { ExperimentTracker } from ${entry};
    const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${dir}`)});
    await t.startExperiment({ name: "bench" });
    const start = performance.now();
    for (let i = 0; i < ${points}; i++) {
      t.logDynamic("loss", 1 / (i + 7));
      if ((i + 1) % ${every} === 0) await t.flush();
    }
    await t.endExperiment();
    console.log(JSON.stringify({ points: ${points}, ms: performance.now() - start }));`);
}

function nativeWorkload(dir, points, every) {
  const out = execFileSync(native, [dir, String(points), String(every)], { encoding: "utf8" });
  return JSON.parse(out.trim());
}

if (!existsSync(native)) {
  execFileSync("cargo", ["build", "--release", "-p", "sextant", "--example", "durable_points"], {
    cwd: root,
    stdio: "inherit",
  });
}

console.log("durable points/s, one metric, sqlite:// (flush = one fsynced transaction)\n");
console.log("workload                         | Node (wasm)        | native (Rust)      | Node/native | Node bytes/point");
for (const [label, points, every] of [
  ["flush every 10,000 points", 1_000_000, 10_000],
  ["flush every 1,000 points", 200_000, 1_000],
  ["flush every point", 5_000, 1],
]) {
  const nd = fresh();
  const n = nodeWorkload(nd, points, every);
  const bytes = du(nd);
  const rd = fresh();
  const r = nativeWorkload(rd, points, every);
  const nRate = (n.points / n.ms) * 1000;
  const rRate = (r.points / r.ms) * 1000;
  console.log(
    `${label.padEnd(32)} | ${fmt(nRate).padStart(10)} points/s | ${fmt(rRate).padStart(10)} points/s | ` +
      `${(nRate / rRate).toFixed(2).padStart(11)} | ${(bytes / points).toFixed(1)}`,
  );
  rmSync(resolve(nd, ".."), { recursive: true, force: true });
  rmSync(resolve(rd, ".."), { recursive: true, force: true });
}

console.log(`\na ${fmt(bigN)}-point metric written from Node (flush every 100,000):`);
const big = fresh();
const w = nodeWorkload(big, bigN, 100_000);
console.log(`  written: ${fmt((w.points / w.ms) * 1000)} points/s, ${(du(big) / bigN).toFixed(1)} bytes/point on disk`);
const r = node(`
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const { ExperimentTracker } = await import(${entry});
  const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${big}`)});
  const [run] = await t.listExperiments();
  const opened = performance.now() - t0;
  const rss1 = process.memoryUsage().rss;
  const t1 = performance.now();
  const last = await t.getMetricSeries("loss", { experimentId: run.id, fromStep: ${bigN - 1000}, maxPoints: 1000 });
  const read = performance.now() - t1;
  if (last.length !== 1000 || last[999].value !== 1 / (${bigN - 1} + 7)) throw new Error("wrong points");
  console.log(JSON.stringify({ opened, read, rss0, rss1, rss2: process.memoryUsage().rss }));`);
const mb = (n) => `${(n / 1048576).toFixed(0)} MB`;
console.log(`  open (import + open + listExperiments): ${r.opened.toFixed(0)} ms, RSS ${mb(r.rss0)} -> ${mb(r.rss1)}`);
console.log(`  last 1,000 points: ${r.read.toFixed(1)} ms (RSS after: ${mb(r.rss2)})`);
rmSync(resolve(big, ".."), { recursive: true, force: true });

console.log(`
baseline, the old file:// store (issue 10): 10.5 KB/point flushing every step, 240 B/point
with timer flushes; a 5M-point store opened in 2.4-3.7 s with RSS 49 -> 390 MB.`);
