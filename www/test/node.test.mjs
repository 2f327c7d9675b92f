// @sextant/tracker in Node, used as a user would: packed with `npm pack`, installed from
// the tarball into a fresh project, imported by name (ESM).

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { importPackage, installPackage, packageDir, www } from "./support/package.mjs";
import { readTar } from "./support/tar.mjs";

let project;
let files;
let ExperimentTracker;

before(async () => {
  ({ project, files } = installPackage());
  ({ ExperimentTracker } = await importPackage(project));
});

/** Runs a module in a child Node process inside the project; resolves to its stdout. */
function runScript(name, source, env = {}) {
  const path = join(project, name);
  writeFileSync(path, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path], {
      cwd: project,
      env: { ...process.env, ...env },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${name} exited ${code}: ${err}`)),
    );
  });
}

/** Asserts that `fn` throws (or rejects with) an Error with this code and message text. */
async function rejects(fn, code, ...texts) {
  let caught;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected an Error with code ${code}, got ${caught}`);
  assert.equal(caught.code, code, caught.message);
  for (const text of texts) assert.ok(caught.message.includes(text), caught.message);
  return caught;
}

describe("the packed package", () => {
  test("ships the wasm, the glue, the types and the snapshot module", () => {
    for (const f of [
      "index.d.ts",
      "README.md",
      "src/node.js",
      "src/browser.js",
      "pkg/sextant_web.js",
      "pkg/sextant_web_bg.wasm",
      "pkg-node/sextant_web.js",
      "pkg-node/sextant_web_bg.wasm",
      "pkg-snapshot/sextant_snapshot_wasm.js",
      "pkg-snapshot/sextant_snapshot_wasm_bg.wasm",
      "LICENSE-MIT",
      "LICENSE-APACHE",
      "examples/node-logreg.mjs",
      "examples/logreg.js",
      "examples/browser/index.html",
    ]) {
      assert.ok(files.includes(f), `${f} missing from ${files.join(", ")}`);
    }
    assert.ok(files.some((f) => f.startsWith("pkg/snippets/")), "inline JS snippets shipped");
    assert.ok(!files.some((f) => f.startsWith("test/")), "tests stay out");
    const manifest = JSON.parse(readFileSync(join(packageDir(project), "package.json"), "utf8"));
    assert.equal(manifest.license, "MIT OR Apache-2.0");
    assert.ok(manifest.repository?.url && manifest.homepage, "repository and homepage");
  });

  test("the shipped Node example runs from the installed package", async () => {
    const example = join(packageDir(project), "examples", "node-logreg.mjs");
    const out = execFileSync(process.execPath, [example, `sqlite://${join(project, "shipped")}`], {
      cwd: project,
      encoding: "utf8",
    });
    assert.match(out, /completed/);
  });

  test("resolves to the Node entry by name", async () => {
    const out = await runScript(
      "resolve.mjs",
      'console.log(import.meta.resolve("@sextant/tracker"));',
    );
    assert.match(out.trim(), /node_modules\/@sextant\/tracker\/src\/node\.js$/);
  });
});

describe("logging and reading (memory://)", () => {
  let t;
  let id;

  before(async () => {
    t = await ExperimentTracker.open("memory://");
    id = await t.startExperiment({ name: "baseline", group: "mnist", tags: ["cnn"] });
  });

  test("the README example", async () => {
    assert.equal(t.currentExperiment, id);
    assert.equal(t.location, "memory://");
    t.logStatic("lr", 1e-3);
    t.logStatic("epochs", 10);
    t.logStatic("layers", [64, 32]);
    t.logStatic("big", 2n ** 60n);
    assert.equal(t.logDynamic("loss", 0.5, { step: 1 }), 1);
    t.logMetrics({ loss: 0.4, acc: 0.91 }, { step: 2 });
    assert.equal(t.logDynamic("loss", 0.3), 3, "auto-step follows the highest step");
    await t.logAttachment("confusion.png", new Uint8Array([137, 80, 78, 71]), { binary: true });
    await t.logAttachment("notes/readme.md", "# hello ✓");
    await t.logAttachment("blob.bin", new Blob([new Uint8Array([1, 2, 3])]));

    const info = await t.getExperiment();
    assert.deepEqual(
      { name: info.name, group: info.group, status: info.status, tags: info.tags },
      { name: "baseline", group: "mnist", status: "running", tags: ["cnn"] },
    );
    assert.deepEqual(info.params, { big: 2n ** 60n, epochs: 10, layers: [64, 32], lr: 0.001 });
    assert.deepEqual(info.metrics, { acc: 0.91, loss: 0.3 });
    const history = await t.getMetricHistory("loss");
    assert.deepEqual(
      history.map((p) => [p.step, p.value]),
      [
        [1, 0.5],
        [2, 0.4],
        [3, 0.3],
      ],
    );
    assert.ok(history.every((p) => Math.abs(p.loggedAt - Date.now()) < 60_000));
    const metrics = await t.listMetrics(id);
    assert.deepEqual(
      metrics.map((m) => [m.key, m.count, m.firstStep, m.lastStep, m.lastValue]),
      [
        ["acc", 1, 2, 2, 0.91],
        ["loss", 3, 1, 3, 0.3],
      ],
    );
    const attachments = await t.listAttachments(id);
    assert.deepEqual(
      attachments.map((a) => [a.name, a.size]),
      [
        ["blob.bin", 3],
        ["confusion.png", 4],
        ["notes/readme.md", 11],
      ],
    );
    const text = await t.getAttachment("notes/readme.md");
    assert.ok(text instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(text), "# hello ✓");
  });

  test("NaN and infinities are kept, series are downsampled", async () => {
    t.logDynamic("special", NaN);
    t.logDynamic("special", Infinity);
    t.logDynamic("special", -Infinity);
    const special = await t.getMetricHistory("special");
    assert.ok(Number.isNaN(special[0].value));
    assert.deepEqual(special.slice(1).map((p) => p.value), [Infinity, -Infinity]);
    for (let i = 0; i < 5000; i++) t.logDynamic("wave", i === 1234 ? 1e6 : Math.sin(i / 50));
    const series = await t.getMetricSeries("wave", { maxPoints: 100 });
    assert.ok(series.length <= 100 && series.length > 50, `${series.length}`);
    assert.ok(series.some((p) => p.step === 1234), "spike kept");
    const zoom = await t.getMetricSeries("wave", { fromStep: 10, toStep: 19 });
    assert.deepEqual(
      zoom.map((p) => p.step),
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
    );
  });

  test("logImage stores PNG/JPEG under media/KEY/STEP with an index, refuses others", async () => {
    const png = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10, 0, 0, 0, 13]);
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2]);
    await t.logImage("samples", png, 0);
    await t.logImage("samples", jpeg.buffer, 2);
    await t.logImage("samples", new Blob([png]), 1);
    const names = (await t.listAttachments()).map((a) => a.name);
    for (const n of ["media/samples/0.png", "media/samples/1.png", "media/samples/2.jpg"]) {
      assert.ok(names.includes(n), `${n} in ${names}`);
    }
    const index = JSON.parse(new TextDecoder().decode(await t.getAttachment("media/samples/index.json")));
    assert.deepEqual(
      index.images.map((i) => [i.step, i.name, i.format, i.size]),
      [
        [0, "media/samples/0.png", "png", 12],
        [1, "media/samples/1.png", "png", 12],
        [2, "media/samples/2.jpg", "jpeg", 6],
      ],
    );
    assert.deepEqual(await t.getAttachment("media/samples/2.jpg"), jpeg);
    await rejects(() => t.logImage("samples", new Uint8Array([71, 73, 70]), 3), "INVALID_INPUT", "neither PNG nor JPEG");
    await rejects(() => t.logImage("samples", png), "INVALID_INPUT", "step");
    await rejects(() => t.logImage("../x", png, 1), "INVALID_INPUT", "image key");
  });

  test("spans and traces keep nanoseconds exactly", async () => {
    const trace = "0123456789abcdef0123456789abcdef";
    t.logSpan({
      traceId: trace,
      spanId: "0000000000000001",
      name: "train",
      startTimeUnixNano: 1764345912123456789n,
      endTimeUnixNano: "1764345999000000001",
      status: "ok",
      attributes: { epoch: 3 },
      events: [{ name: "checkpoint", timestamp: 1764345950000000000n }],
    });
    t.logSpan({
      traceId: trace,
      spanId: "0000000000000002",
      parentSpanId: "0000000000000001",
      name: "batch",
      startTimeUnixNano: 1764345913000000000,
      endTimeUnixNano: 1764345914000000000,
    });
    const traces = await t.listTraces();
    assert.equal(traces.length, 1);
    assert.equal(traces[0].state, "ok");
    assert.equal(traces[0].rootName, "train");
    assert.equal(traces[0].durationNs, 1764345999000000001n - 1764345912123456789n);
    const spans = await t.getTrace(trace);
    assert.deepEqual(
      spans.map((s) => s.name),
      ["train", "batch"],
    );
    assert.equal(spans[0].startTimeUnixNano, 1764345912123456789n);
    assert.deepEqual(spans[0].attributes, { epoch: 3 });
    assert.equal(spans[0].events[0].timestamp, 1764345950000000000n);
  });

  test("groups, update, delete, logging to a named experiment", async () => {
    const other = await t.startExperiment({ group: "mnist" });
    assert.equal(t.currentExperiment, other);
    t.logDynamic("loss", 0.2, { experimentId: id, step: 10 });
    t.logMetrics({ loss: 0.1 }, { experimentId: id, step: 11 });
    t.logStatic("note", "by id", { experimentId: id });
    const steps = (await t.getMetricHistory("loss", { experimentId: id })).map((p) => p.step);
    assert.deepEqual(steps.slice(-2), [10, 11]);
    assert.equal((await t.getExperiment(id)).params.note, "by id");
    assert.deepEqual(await t.listMetrics(other), []);
    assert.match((await t.getExperiment(other)).name, /^[a-z]+-[a-z]+-\d+$/);
    await t.updateExperiment(other, { name: "renamed", description: "why", tags: ["x"] });
    const info = await t.getExperiment(other);
    assert.deepEqual([info.name, info.description, info.tags], ["renamed", "why", ["x"]]);
    const groups = await t.listGroups();
    assert.deepEqual(
      groups.map((g) => [g.name, g.experimentCount]),
      [["mnist", 2]],
    );
    await t.deleteExperiment(other);
    await rejects(() => t.getExperiment(other), "EXPERIMENT_NOT_FOUND", other);
    assert.equal((await t.listExperiments()).length, 1);
  });

  after(async () => {
    await t.endExperiment(id);
    await t.close();
  });
});

describe("listExperiments with the search language", () => {
  test("filters on metrics, params and tags, sorts, and names a bad filter's column", async () => {
    const t = await ExperimentTracker.open("memory://");
    for (const [name, acc, opt, tags] of [["a", 0.7, "sgd", []], ["b", 0.95, "adamw", ["best"]], ["c", 0.91, "adamw", []]]) {
      await t.startExperiment({ name, tags });
      t.logStatic("optimizer", opt);
      t.logDynamic("val/acc", acc);
      await t.endExperiment();
    }
    const names = (runs) => runs.map((r) => r.name);
    assert.deepEqual(names(await t.listExperiments()).sort(), ["a", "b", "c"]);
    assert.deepEqual(names(await t.listExperiments({ orderBy: "attributes.name DESC" })), ["c", "b", "a"]);
    assert.deepEqual(
      names(await t.listExperiments({ filter: "metrics.`val/acc` > 0.9 and params.optimizer = 'adamw'", orderBy: "metrics.`val/acc` ASC" })),
      ["c", "b"],
    );
    assert.deepEqual(names(await t.listExperiments({ filter: "tags = 'best'" })), ["b"]);
    await rejects(() => t.listExperiments({ filter: "metrics.acc >" }), "INVALID_INPUT", "column 14");
    await rejects(() => t.listExperiments({ filtr: "x" }), "INVALID_INPUT", "filtr");
    await t.close();
  });
});

describe("bad input is a thrown Error that names it, and corrupts nothing", () => {
  let t;
  let id;

  before(async () => {
    t = await ExperimentTracker.open("memory://");
    id = await t.startExperiment({ name: "guarded" });
    t.logDynamic("loss", 1.0, { step: 0 });
    t.logDynamic("loss", 0.9, { step: 1 });
    await t.flush();
  });

  test("a string where a number is due", async () => {
    await rejects(() => t.logDynamic("loss", "0.5"), "INVALID_INPUT", '"0.5"', "loss", "not a string");
    await rejects(() => t.logMetrics({ loss: 0.1, acc: "high" }), "INVALID_INPUT", "acc", "high");
    await rejects(() => t.logDynamic("loss", 0.1, { step: "3" }), "INVALID_INPUT", "step");
    await rejects(() => t.logDynamic(42, 0.1), "INVALID_INPUT", "metric key", "not a number");
    await rejects(() => t.logStatic("fn", () => 1), "INVALID_INPUT", "fn", "function");
  });

  test("NaN, negative and fractional steps", async () => {
    await rejects(() => t.logDynamic("loss", 0.1, { step: NaN }), "INVALID_INPUT", 'step "NaN"');
    await rejects(() => t.logDynamic("loss", 0.1, { step: -1 }), "INVALID_INPUT", '"-1"');
    await rejects(() => t.logDynamic("loss", 0.1, { step: 1.5 }), "INVALID_INPUT", '"1.5"');
    await rejects(() => t.logMetrics({ loss: 1 }, { step: Infinity }), "INVALID_INPUT", "Infinity");
  });

  test("bad names, options and connection strings", async () => {
    await rejects(() => t.logDynamic("", 1), "INVALID_INPUT", "empty");
    await rejects(() => t.logAttachment("../escape.txt", "x"), "INVALID_INPUT", "../escape.txt");
    await rejects(() => t.logAttachment("a.txt", "x", { binary: true }), "INVALID_INPUT", "binary");
    await rejects(() => t.logAttachment("a.bin", 12), "INVALID_INPUT", "attachment data");
    await rejects(() => t.logDynamic("loss", 1, 5), "INVALID_INPUT", "options");
    await rejects(() => t.startExperiment({ experimentId: "../../etc" }), "INVALID_INPUT", "../../etc");
    await rejects(() => ExperimentTracker.open("./experiments"), "INVALID_CONNECTION_STRING", "idb://NAME");
    await rejects(() => ExperimentTracker.open("zzz://./x"), "UNKNOWN_BACKEND", "zzz", "sqlite://DIR");
    await rejects(() => ExperimentTracker.open("file://./x.sextant"), "INVALID_INPUT", "sqlite://DIR");
    await rejects(() => ExperimentTracker.open("idb://x"), "STORAGE", "IndexedDB is not available");
    await rejects(() => ExperimentTracker.open("localstorage://x"), "STORAGE", "localStorage");
    await rejects(() => ExperimentTracker.open(7), "INVALID_INPUT", "connection string");
  });

  test("unknown experiment ids", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    await rejects(() => t.logDynamic("loss", 1, { experimentId: unknown }), "EXPERIMENT_NOT_OPEN", unknown);
    await rejects(() => t.getExperiment(unknown), "EXPERIMENT_NOT_FOUND", unknown);
    await rejects(() => t.getMetricHistory("loss", { experimentId: unknown }), "EXPERIMENT_NOT_FOUND");
    await rejects(() => t.listMetrics(unknown), "EXPERIMENT_NOT_FOUND");
    await rejects(() => t.endExperiment(unknown), "EXPERIMENT_NOT_OPEN");
    await rejects(() => t.deleteExperiment(unknown), "EXPERIMENT_NOT_FOUND");
    await rejects(() => t.getTrace("f".repeat(32)), "TRACE_NOT_FOUND");
    await rejects(() => t.getAttachment("missing.txt"), "ATTACHMENT_NOT_FOUND", "missing.txt");
  });

  test("calls after endExperiment", async () => {
    await t.endExperiment();
    await rejects(() => t.logDynamic("loss", 0.1, { experimentId: id }), "EXPERIMENT_ENDED", id);
    await rejects(() => t.logDynamic("loss", 0.1), "NO_ACTIVE_EXPERIMENT");
    await rejects(() => t.logStatic("lr", 0.1), "NO_ACTIVE_EXPERIMENT");
    await rejects(() => t.endExperiment(), "NO_ACTIVE_EXPERIMENT");
    await rejects(() => t.logAttachment("late.txt", "x", { experimentId: id }), "EXPERIMENT_ENDED");
  });

  test("and nothing already logged was lost or changed", async () => {
    const info = await t.getExperiment(id);
    assert.equal(info.status, "completed");
    const history = await t.getMetricHistory("loss", { experimentId: id });
    assert.deepEqual(
      history.map((p) => [p.step, p.value]),
      [
        [0, 1],
        [1, 0.9],
      ],
    );
    assert.deepEqual(await t.listAttachments(id), []);
  });

  test("a closed tracker says so", async () => {
    await t.close();
    await rejects(() => t.logDynamic("x", 1), "STORAGE", "closed");
    await rejects(() => t.listExperiments(), "STORAGE", "closed");
  });
});

describe("sqlite:// stores persist across processes", () => {
  test("a run logged by one process is read by another", async () => {
    const path = join(project, "runs", "store");
    const out = await runScript(
      "writer.mjs",
      `import { ExperimentTracker } from "@sextant/tracker";
       const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${path}`)});
       const id = await t.startExperiment({ name: "from a child", group: "files" });
       t.logStatic("lr", 0.1 + 0.2);
       for (let i = 0; i < 20000; i++) t.logDynamic("loss", 1 / (i + 7));
       await t.endExperiment();
       console.log(id);`,
    );
    const id = out.trim();
    const t = await ExperimentTracker.open(`sqlite://${path}`);
    const info = await t.getExperiment(id);
    assert.deepEqual([info.name, info.group, info.status], ["from a child", "files", "completed"]);
    assert.equal(info.params.lr, 0.1 + 0.2, "bit-exact through the file");
    const points = await t.getMetricHistory("loss", { experimentId: id });
    assert.equal(points.length, 20000);
    assert.ok(points.every((p, i) => p.step === i && p.value === 1 / (i + 7)));
    await t.close();
  });

  test("a script that ends without endExperiment: flushed, and marked failed", async () => {
    const path = join(project, "crashy");
    const id = (
      await runScript(
        "forgetful.mjs",
        `import { ExperimentTracker } from "@sextant/tracker";
         const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${path}`)});
         const id = await t.startExperiment({ name: "forgot to end" });
         for (let i = 0; i < 100; i++) t.logDynamic("loss", i);
         console.log(id);`,
      )
    ).trim();
    const t = await ExperimentTracker.open(`sqlite://${path}`);
    const info = await t.getExperiment(id);
    assert.equal(info.status, "failed");
    assert.equal((await t.getMetricHistory("loss", { experimentId: id })).length, 100);
    await t.close();
  });
});

describe("export", () => {
  test("a luml snapshot tar with a SQLite exp.db inside", async () => {
    const t = await ExperimentTracker.open("memory://");
    const id = await t.startExperiment({ name: "exported", group: "snap", tags: ["web"] });
    t.logStatic("lr", 0.01);
    for (let i = 0; i < 1000; i++) t.logDynamic("loss", 1 / (i + 1));
    t.logDynamic("loss", NaN, { step: 1000 });
    await t.logAttachment("plots/curve.txt", "0.1,0.2");
    await t.endExperiment();
    const tar = await t.export(id);
    assert.ok(tar instanceof Uint8Array);
    const members = readTar(tar);
    assert.deepEqual(
      [...members.keys()],
      ["manifest.json", "exp.db.zip", "attachments.tar", "attachments.index.json"],
    );
    const manifest = JSON.parse(new TextDecoder().decode(members.get("manifest.json")));
    assert.equal(manifest.artifact_type, "experiment");
    assert.deepEqual(manifest.producer_tags, ["luml.ai::experiment_snapshot:v1"]);
    assert.equal(manifest.payload.local_experiment_id, id);
    assert.equal(manifest.payload.status, "completed");
    assert.ok(readTar(members.get("attachments.tar")).has("attachments/plots/curve.txt"));

    // The snapshot module's reader (sextant-sqlite's, the one `sextant import` uses)
    // reads it back whole.
    const snapshot = await import(
      pathToFileURL(join(packageDir(project), "pkg-snapshot", "sextant_snapshot_wasm.js")).href
    );
    snapshot.initSync({
      module: readFileSync(
        join(packageDir(project), "pkg-snapshot", "sextant_snapshot_wasm_bg.wasm"),
      ),
    });
    const batch = JSON.parse(new TextDecoder().decode(snapshot.readSnapshot(tar)));
    const points = batch.records.find((r) => r.op === "metrics" && r.key === "loss").points;
    assert.equal(points.length, 1001);
    assert.equal(points[1000].value, "NaN");
    assert.equal(batch.records[0].name, "exported");
    await t.close();

    // The native command imports it, when it has been built.
    const sextant = process.env.SEXTANT_BIN ?? join(www, "..", "target", "release", "sextant");
    let native = true;
    try {
      execFileSync(sextant, ["--help"], { stdio: "ignore" });
    } catch {
      native = false;
    }
    if (native) {
      const tarPath = join(project, "run.tar");
      writeFileSync(tarPath, tar);
      const store = `sqlite://${join(project, "native-store")}`;
      const imported = execFileSync(sextant, ["--store", store, "import", tarPath], { encoding: "utf8" });
      assert.equal(imported.trim(), id);
      const shown = execFileSync(sextant, ["--store", store, "metrics", id, "loss"], { encoding: "utf8" });
      assert.equal(shown.trim().split("\n").length, 1002, "header + 1001 points");
    }

    // An independent reader: Python's sqlite3 opens the exp.db inside.
    let python = true;
    try {
      execFileSync("python3", ["--version"]);
    } catch {
      python = false;
    }
    if (python) {
      const zipPath = join(project, "exp.db.zip");
      writeFileSync(zipPath, members.get("exp.db.zip"));
      const out = execFileSync(
        "python3",
        [
          "-c",
          `import sqlite3, sys, zipfile
open(sys.argv[1] + ".db", "wb").write(zipfile.ZipFile(sys.argv[1]).read("exp.db"))
c = sqlite3.connect(sys.argv[1] + ".db")
print(c.execute("select count(*), sum(value is null) from dynamic_metrics where key='loss'").fetchone())
print(c.execute("select value, value_type from static_params where key='lr'").fetchone())`,
          zipPath,
        ],
        { encoding: "utf8" },
      );
      assert.equal(out, "(1001, 1)\n('0.01', 'float')\n");
    }
  });
});

describe("examples", () => {
  test("node-logreg.mjs trains, tracks into a sqlite:// store and exports", async () => {
    const out = execFileSync(
      process.execPath,
      [join(www, "examples", "node-logreg.mjs"), `sqlite://${join(project, "example-store")}`],
      { cwd: project, encoding: "utf8" },
    );
    assert.match(out, /logreg-lr0\.1 \(.+\) completed/);
    const accuracy = Number(/accuracy (\d\.\d+)/.exec(out)[1]);
    assert.ok(accuracy > 0.8, out);
    assert.match(out, /snapshot: .+\.tar/);
  });
});
