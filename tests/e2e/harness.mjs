// Shared by the end-to-end test and the benchmark: starts the dashboard server
// (crates/sextant-dashboard/examples/serve.rs, which embeds dist/), launches headless
// Chromium with the flags this machine needs, and seeds runs through POST /api/batch.
import { spawn } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const ARTIFACTS = join(ROOT, "tests", "e2e", "artifacts");

/** Starts the server; resolves to { url, stop }. */
export function startServer(args = [], bin = process.env.SEXTANT_SERVE_BIN) {
  const exe = bin ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, "target"), "debug", "examples", "serve");
  const child = spawn(exe, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    // Seeding millions of points before listening takes a while; a plain start is quick.
    const limit = args.some((a) => a.startsWith("--seed")) ? 900_000 : 60_000;
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`server did not start within ${limit / 1000} s: ${stderr}`));
    }, limit);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${exe}: ${e.message} (build it: cargo build -p sextant-dashboard --example serve)`));
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${stderr}`));
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], stop: () => child.kill("SIGTERM") });
      }
    });
  });
}

/** Headless Chromium; Playwright gives every launch a fresh temporary profile
 *  (its own --user-data-dir), so IndexedDB and localStorage start empty. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function postBatch(url, records) {
  const r = await fetch(`${url}/api/batch`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ records }),
  });
  if (!r.ok) throw new Error(`batch failed: ${r.status} ${await r.text()}`);
}

const b64 = (text) => Buffer.from(text).toString("base64");

export function points(n, f, from = 0, t0 = 1_764_000_000_000) {
  return Array.from({ length: n }, (_, i) => ({
    step: from + i,
    value: f(from + i),
    logged_at: t0 + (from + i) * 1000,
  }));
}

/** The records of one rich run: params, curves, attachments, a trace. */
export function richRun(id, { name, group, tags, lr, status, created_at, noise = 0 }) {
  const exp = id;
  const records = [
    { op: "create", id, name, group, tags, created_at, description: `# ${name}\n\nA **test** run with <b>markup</b> that must stay text.`, source: "tests/e2e" },
    {
      op: "params",
      experiment: exp,
      params: [
        ["lr", { type: "float", value: lr }],
        ["batch_size", { type: "int", value: 32 }],
        ["optimizer", { type: "str", value: "adamw" }],
        ["augment", { type: "bool", value: true }],
        ["model", { type: "json", value: { arch: "resnet18", widths: [64, 128] } }],
      ],
    },
    { op: "metrics", experiment: exp, key: "train/loss", points: points(500, (s) => 2 / (1 + s * lr * 10) + noise * Math.sin(s)) },
    { op: "metrics", experiment: exp, key: "train/acc", points: points(500, (s) => 1 - 1 / (1 + s * lr * 5)) },
    { op: "metrics", experiment: exp, key: "val/loss", points: points(50, (s) => 2.2 / (1 + s * lr * 90)) },
    { op: "metrics", experiment: exp, key: "val/acc", points: points(50, (s) => 0.9 - 0.8 / (1 + s * lr * 40)) },
    { op: "metrics", experiment: exp, key: "lr", points: points(500, (s) => lr * Math.cos((s / 500) * Math.PI / 2)) },
    { op: "attachment", experiment: exp, name: "plots/curve.svg", created_at, data: b64(`<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" onload="document.title='PWNED'"><script>document.title='PWNED'</script><rect width="120" height="60" fill="#3b82f6"/><text x="10" y="35" fill="white">curve</text></svg>`) },
    { op: "attachment", experiment: exp, name: "notes/README.md", created_at, data: b64(`# Findings\n\nLoss **drops** fast.\n\n- warmup helps\n- <script>document.title='PWNED'</script> stays text\n\n[docs](https://example.com) and [bad](javascript:alert(1))`) },
    { op: "attachment", experiment: exp, name: "config.json", created_at, data: b64(JSON.stringify({ lr, layers: [64, 128, 256], dropout: 0.1 })) },
    { op: "attachment", experiment: exp, name: "data/sample.csv", created_at, data: b64("epoch,loss,acc\n1,0.9,0.61\n2,0.5,0.78\n3,\"0.3, approx\",0.85\n") },
    { op: "attachment", experiment: exp, name: "logs/train.log", created_at, data: b64("epoch 1 done\nepoch 2 done\n<html>not markup</html>\n") },
  ];
  const t0 = BigInt(created_at) * 1_000_000n;
  const ns = (ms) => Number(t0 + BigInt(ms) * 1_000_000n);
  const trace = id.replace(/[^0-9a-f]/g, "a").padEnd(32, "0").slice(0, 32);
  const span = (sid, parent, nameS, start, end, extra = {}) => ({
    trace_id: trace, span_id: sid, parent_span_id: parent, name: nameS, kind: 1, dfs_span_type: 0,
    start_time_unix_nano: ns(start), end_time_unix_nano: ns(end), status: "ok", attributes: {}, events: [], links: [], ...extra,
  });
  records.push({
    op: "spans",
    experiment: exp,
    spans: [
      span("0000000000000001", null, "train_epoch", 0, 1000, { attributes: { epoch: 1, "model.name": "resnet18" } }),
      span("0000000000000002", "0000000000000001", "load_batch", 10, 120),
      span("0000000000000003", "0000000000000001", "forward", 130, 600, {
        events: [{ name: "checkpoint", timestamp: ns(400), attributes: { path: "ckpt/1.pt" } }],
      }),
      span("0000000000000004", "0000000000000003", "attention", 150, 420, { status: "error", status_message: "nan in softmax" }),
      span("0000000000000005", "0000000000000001", "backward", 610, 980),
    ],
  });
  records.push({ op: "set_status", experiment: exp, status, duration: status === "running" ? null : 734.5 });
  return records;
}
