// sqlite://DIR in Node, from the packed package: the native store's code (sextant-sqlite in
// wasm over Node's fs), so a Node run is the luml layout the native CLI, `sextant ui` and
// luml-sdk open, and native or luml stores open in Node.
//
// The native CLI comes from SEXTANT_BIN (scripts/test-web.sh builds it), luml-sdk from
// SEXTANT_LUML_PYTHON (the Python tests' venv).

import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { before, describe, test } from "node:test";

import { importPackage, installPackage, www } from "./support/package.mjs";

const root = resolve(www, "..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, "target");
const sextantBin = process.env.SEXTANT_BIN ?? join(targetDir, "debug", "sextant");
const lumlPython = process.env.SEXTANT_LUML_PYTHON;
const fixture = join(root, "tests", "fixtures", "luml-0.4");

let project;
let ExperimentTracker;

before(async () => {
  ({ project } = installPackage());
  ({ ExperimentTracker } = await importPackage(project));
});

function fresh(name) {
  return join(mkdtempSync(join(tmpdir(), "sextant-sqlite-")), name);
}

/** Runs a module in a child Node process in `cwd`; resolves to { code, signal, out, err }. */
function runChild(name, source, { cwd = project, waitFor, onOutput } = {}) {
  const path = join(project, name);
  writeFileSync(path, source);
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [path], { cwd });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not finish within 60 s: ${err}`));
    }, 60_000);
    child.stdout.on("data", (d) => {
      out += d;
      onOutput?.(out, child);
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, out, err, child });
    });
    if (waitFor) waitFor(child);
  });
}

async function runOk(name, source, options) {
  const r = await runChild(name, source, options);
  assert.equal(r.code, 0, `${name} exited ${r.code}: ${r.err}`);
  return r.out;
}

function sextant(...args) {
  assert.ok(existsSync(sextantBin), `the native CLI is needed at ${sextantBin} (cargo build -p sextant)`);
  return execFileSync(sextantBin, args, { encoding: "utf8", maxBuffer: 1 << 28 });
}

const writer = (dir, extra = "") => `import { ExperimentTracker } from "@sextant/tracker";
  const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${dir}`)});
  const id = await t.startExperiment({ name: "from node", group: "node-runs", tags: ["n"] });
  t.logStatic("lr", 0.1 + 0.2);
  t.logStatic("layers", [64, 32]);
  for (let i = 0; i < 20000; i++) t.logDynamic("loss", 1 / (i + 7));
  t.logDynamic("special", Infinity, { step: 0 });
  t.logDynamic("special", -0.5, { step: 1 });
  ${extra}
  await t.endExperiment();
  console.log(id);`;

describe("the default store", () => {
  test("open() without a connection string is sqlite://./experiments, in the luml layout", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "sextant-cwd-"));
    const out = await runOk(
      "default.mjs",
      `import { ExperimentTracker } from "@sextant/tracker";
       const t = await ExperimentTracker.open();
       const id = await t.startExperiment({ name: "default" });
       t.logDynamic("loss", 0.5);
       await t.endExperiment();
       console.log(t.location);
       console.log(id);`,
      { cwd },
    );
    const [location, id] = out.trim().split("\n");
    assert.equal(location, `sqlite://${join(cwd, "experiments")}`);
    const dir = join(cwd, "experiments");
    assert.ok(existsSync(join(dir, "meta.db")), readdirSync(cwd).join(", "));
    assert.ok(existsSync(join(dir, id, "exp.db")));
    // The process ended: its lock files went with it.
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith("-nodelock")), []);
  });

  test("file:// is gone, with an error that says where to go", async () => {
    await assert.rejects(ExperimentTracker.open("file://./runs.sextant"), (e) => {
      assert.equal(e.code, "INVALID_INPUT");
      assert.match(e.message, /replaced by sqlite:\/\/DIR/);
      return true;
    });
  });
});

describe("a Node-written store is the native store", () => {
  test("the native CLI lists it and prints its metrics, values exact", async () => {
    const dir = fresh("store");
    const id = (await runOk("native-reads.mjs", writer(dir))).trim();
    const runs = JSON.parse(sextant("--store", `sqlite://${dir}`, "ls", "--json"));
    assert.equal(runs.length, 1);
    assert.equal(runs[0].id, id);
    assert.equal(runs[0].name, "from node");
    assert.equal(runs[0].status, "completed");
    const points = JSON.parse(sextant("--store", `sqlite://${dir}`, "metrics", id, "loss", "--json"));
    assert.equal(points.length, 20000);
    points.forEach((p, i) => {
      assert.equal(p.step, i);
      assert.equal(p.value, 1 / (i + 7), `step ${i}`);
    });
    assert.deepEqual(runs[0].params.lr, { type: "float", value: 0.1 + 0.2 }, "bit-exact");
    assert.deepEqual(runs[0].params.layers, { type: "json", value: [64, 32] });
    assert.match(sextant("--store", `sqlite://${dir}`, "show", id), /loss +20000 +0\.\.19999/);
  });

  test("luml-sdk reads it", { skip: !lumlPython && "SEXTANT_LUML_PYTHON not set" }, async () => {
    const dir = fresh("store");
    const id = (await runOk("luml-reads.mjs", writer(dir))).trim();
    const out = execFileSync(
      lumlPython,
      [
        "-c",
        `import json, sys
from luml.experiments.tracker import ExperimentTracker
t = ExperimentTracker("sqlite://" + sys.argv[1])
e = t.get_experiment(sys.argv[2])
loss = e.dynamic_metrics["loss"]
print(json.dumps({"params": e.static_params, "n": len(loss),
                  "values": [p["value"] for p in loss[:50]], "steps": [p["step"] for p in loss[-3:]]}))`,
        dir,
        id,
      ],
      { encoding: "utf8" },
    );
    const seen = JSON.parse(out);
    assert.equal(seen.params.lr, 0.1 + 0.2);
    assert.deepEqual(seen.params.layers, [64, 32]);
    assert.equal(seen.n, 20000);
    assert.deepEqual(seen.values, Array.from({ length: 50 }, (_, i) => 1 / (i + 7)));
    assert.deepEqual(seen.steps, [19997, 19998, 19999]);
  });
});

describe("native and luml stores open in Node", () => {
  test("a store the native CLI wrote", async () => {
    const dir = fresh("native");
    const id = sextant("--store", `sqlite://${dir}`, "demo").trim();
    const expected = JSON.parse(sextant("--store", `sqlite://${dir}`, "metrics", id, "train/loss", "--json"));
    assert.ok(expected.length > 100);
    const t = await ExperimentTracker.open(`sqlite://${dir}`);
    const points = await t.getMetricHistory("train/loss", { experimentId: id });
    assert.deepEqual(
      points.map((p) => [p.step, p.value]),
      expected.map((p) => [p.step, p.value]),
    );
    // And Node keeps writing into it: a second run beside the native one.
    const next = await t.startExperiment({ name: "node after native" });
    t.logDynamic("x", 1.5);
    await t.endExperiment();
    await t.close();
    const names = JSON.parse(sextant("--store", `sqlite://${dir}`, "ls", "--json")).map((r) => r.id);
    assert.ok(names.includes(id) && names.includes(next), names.join(", "));
  });

  test("the luml-sdk 0.4 fixture: every experiment, param, metric and attachment", async () => {
    const dir = fresh("luml");
    cpSync(join(fixture, "store"), dir, { recursive: true });
    const expected = JSON.parse(readFileSync(join(fixture, "EXPECTED.json"), "utf8"));
    const t = await ExperimentTracker.open(`sqlite://${dir}`);
    const runs = await t.listExperiments();
    assert.equal(runs.length, expected.experiments.length);
    for (const want of expected.experiments) {
      const info = await t.getExperiment(want.id);
      assert.equal(info.name, want.name);
      assert.equal(info.group, want.group);
      assert.deepEqual(info.params, want.params);
      for (const [key, n] of Object.entries(want.metric_counts)) {
        assert.equal((await t.getMetricHistory(key, { experimentId: want.id })).length, n, key);
      }
      const names = (await t.listAttachments(want.id)).map((a) => a.name).sort();
      assert.deepEqual(names, [...want.attachments].sort());
      const bytes = await t.getAttachment("plots/curve.bin", { experimentId: want.id });
      assert.deepEqual(
        Buffer.from(bytes),
        readFileSync(join(fixture, "store", want.id, "attachments", "plots", "curve.bin")),
      );
    }
    await t.close();
  });
});

describe("attachments are files", () => {
  test("written beside exp.db, and read from the file when asked", async () => {
    const dir = fresh("files");
    const big = Buffer.alloc(8 << 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
    const id = (
      await runOk(
        "attach.mjs",
        `import { ExperimentTracker } from "@sextant/tracker";
         const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${dir}`)});
         const id = await t.startExperiment();
         const big = new Uint8Array(8 << 20);
         for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) & 0xff;
         await t.logAttachment("weights/model.bin", big);
         await t.endExperiment();
         console.log(id);`,
      )
    ).trim();
    const file = join(dir, id, "attachments", "weights", "model.bin");
    assert.deepEqual(readFileSync(file), big, "the bytes are a file in the luml layout");
    // exp.db holds the row, not the bytes.
    assert.ok(readFileSync(join(dir, id, "exp.db")).length < 1 << 20);
    const t = await ExperimentTracker.open(`sqlite://${dir}`);
    const listed = await t.listAttachments(id);
    assert.deepEqual(listed.map((a) => [a.name, a.size]), [["weights/model.bin", 8 << 20]]);
    // Changed on disk after the store opened: a read sees the file as it is now.
    const changed = Buffer.from(big);
    changed[1] = 42;
    writeFileSync(file, changed);
    assert.deepEqual(Buffer.from(await t.getAttachment("weights/model.bin", { experimentId: id })), changed);
    await t.close();
  });
});

describe("two Node writers on one store", () => {
  test("the second is refused cleanly, naming the first; nothing is corrupted", async () => {
    const dir = fresh("shared");
    let release;
    const first = runChild(
      "first.mjs",
      `import { ExperimentTracker } from "@sextant/tracker";
       import { once } from "node:events";
       const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${dir}`)});
       const id = await t.startExperiment({ name: "first" });
       for (let i = 0; i < 3000; i++) { t.logDynamic("x", i); if (i % 500 === 0) await t.flush(); }
       console.log("ready " + process.pid);
       process.stdin.resume();
       await once(process.stdin, "data");
       process.stdin.destroy();
       for (let i = 3000; i < 6000; i++) t.logDynamic("x", i);
       await t.endExperiment();
       console.log(id);`,
      {
        onOutput: (out, child) => {
          if (out.includes("ready") && !release) {
            release = () => child.stdin.write("go\n");
            secondRun(out).then(release, release);
          }
        },
      },
    );
    let second;
    async function secondRun(out) {
      const pid = /ready (\d+)/.exec(out)[1];
      second = await runChild(
        "second.mjs",
        `import { ExperimentTracker } from "@sextant/tracker";
         const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${dir}`)});
         console.log(JSON.stringify((await t.listExperiments()).map((r) => r.name)));
         try {
           await t.startExperiment({ name: "second" });
           console.log("started");
         } catch (e) {
           console.log(e.code + ": " + e.message);
         }`,
      );
      second.pid = pid;
    }
    const a = await first;
    assert.equal(a.code, 0, a.err);
    assert.equal(second.code, 0, second.err);
    const [seen, outcome] = second.out.trim().split("\n");
    assert.deepEqual(JSON.parse(seen), ["first"], "the second process can read");
    assert.match(outcome, /^READ_ONLY: /);
    assert.match(outcome, new RegExp(`Node process ${second.pid}`));
    const id = a.out.trim().split("\n").at(-1);
    const points = JSON.parse(sextant("--store", `sqlite://${dir}`, "metrics", id, "x", "--json"));
    assert.deepEqual(
      points.map((p) => p.value),
      Array.from({ length: 6000 }, (_, i) => i),
    );
    const runs = JSON.parse(sextant("--store", `sqlite://${dir}`, "ls", "--json"));
    assert.deepEqual(runs.map((r) => [r.name, r.status]), [["first", "completed"]]);
  });
});
