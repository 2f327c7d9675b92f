// @sextant/tracker against hostile or unusual input, used from the packed package: no input
// can crash the wasm instance, a crash (forced) is reported and recovered from, values come
// back as they went in, option typos are errors, and reads after endExperiment work.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";

import { importPackage, installPackage, packageDir } from "./support/package.mjs";

let project;
let ExperimentTracker;

before(async () => {
  ({ project } = installPackage());
  ({ ExperimentTracker } = await importPackage(project));
});

/** Runs a module in a child Node process; resolves to { code, signal, out, err }. */
function runChild(name, source, { signal, signalAfter } = {}) {
  const path = join(project, name);
  writeFileSync(path, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path], { cwd: project });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not finish within 30 s: ${err}`));
    }, 30_000);
    child.stdout.on("data", (d) => {
      out += d;
      if (signal && out.includes(signalAfter)) child.kill(signal);
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("close", (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig, out, err });
    });
  });
}

function caught(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail("expected a throw");
}

describe("no param can crash the instance", () => {
  test("a cycle and 100,000 levels of nesting are INVALID_INPUT naming the key; nothing is lost", async () => {
    const a = await ExperimentTracker.open("memory://");
    const b = await ExperimentTracker.open("memory://");
    const idA = await a.startExperiment({ name: "a" });
    const idB = await b.startExperiment({ name: "b" });
    for (let i = 0; i < 500; i++) a.logDynamic("loss", i);
    for (let i = 0; i < 500; i++) b.logDynamic("loss", i);

    const model = { layers: [1, 2] };
    model.parent = { child: model };
    let e = caught(() => a.logStatic("config", { model }));
    assert.equal(e.code, "INVALID_INPUT");
    assert.match(e.message, /config\.model\.parent\.child is a cycle/);

    const root = {};
    let node = root;
    for (let i = 0; i < 100_000; i++) node = node.next = {};
    e = caught(() => a.logStatic("deep", root));
    assert.equal(e.code, "INVALID_INPUT");
    assert.match(e.message, /^invalid param value .*deep\.next\..*nested deeper than 64 levels/);

    const arrays = [];
    let inner = arrays;
    for (let i = 0; i < 100_000; i++) inner = inner[0] = [];
    e = caught(() => b.logStatic("arrays", arrays));
    assert.match(e.message, /arrays\[0\]\[0\].*nested deeper/);

    // Span attributes take the same path.
    e = caught(() =>
      b.logSpan({
        traceId: "a".repeat(32),
        spanId: "b".repeat(16),
        name: "s",
        startTimeUnixNano: 1n,
        endTimeUnixNano: 2n,
        attributes: { loop: root },
      }),
    );
    assert.match(e.message, /attributes\.loop\.next.*nested deeper/);

    const throwing = { get bad() { throw new Error("getter says no"); } };
    e = caught(() => a.logStatic("getter", throwing));
    assert.match(e.message, /getter\.bad could not be read: getter says no/);

    // Both trackers carry on; every point logged before and after is kept.
    for (let i = 500; i < 1000; i++) a.logDynamic("loss", i);
    for (let i = 500; i < 1000; i++) b.logDynamic("loss", i);
    a.logStatic("config", { model: { layers: [1, 2] } });
    await a.endExperiment();
    await b.endExperiment();
    assert.equal((await a.getMetricHistory("loss", { experimentId: idA })).length, 1000);
    assert.equal((await b.getMetricHistory("loss", { experimentId: idB })).length, 1000);
    assert.deepEqual((await a.getExperiment(idA)).params, { config: { model: { layers: [1, 2] } } });
    assert.equal((await b.getExperiment(idB)).status, "completed");
  });

  test("a forced crash is reported as CRASHED, and a new tracker works", async () => {
    const glue = pathToFileURL(join(packageDir(project), "pkg-node", "sextant_web.js")).href;
    const store = `sqlite://${join(project, "crash")}`;
    const result = await runChild(
      "crash.mjs",
      `import { ExperimentTracker } from "@sextant/tracker";
       import * as glue from ${JSON.stringify(glue)};
       const old = await ExperimentTracker.open(${JSON.stringify(store)});
       await old.startExperiment({ name: "before the crash" });
       for (let i = 0; i < 100; i++) old.logDynamic("x", i);
       await old.flush();
       old.logDynamic("x", 100); // buffered: its timer is armed when the instance dies
       try { glue.__sextantAbortForTests(); } catch (e) { console.log("crash", e.code); }
       try { old.logDynamic("x", 101); } catch (e) { console.log("old", e.code, /crashed/.test(e.message)); }
       const t = await ExperimentTracker.open(${JSON.stringify(store)});
       console.log("instanceof", t instanceof ExperimentTracker);
       const id = await t.startExperiment({ name: "after" });
       for (let i = 0; i < 10; i++) t.logDynamic("y", i);
       await t.endExperiment();
       const runs = await t.listExperiments();
       console.log("runs", runs.map((r) => r.name + ":" + r.status).sort().join(","));
       console.log("before", (await t.getMetricHistory("x", { experimentId: runs.find((r) => r.name === "before the crash").id })).length);
       console.log("after", (await t.getMetricHistory("y", { experimentId: id })).length);
       await new Promise((r) => setTimeout(r, 1500)); // the dead instance's timer fires`,
    );
    assert.equal(result.code, 0, result.err);
    assert.deepEqual(result.out.trim().split("\n"), [
      "crash CRASHED",
      "old CRASHED true",
      "instanceof true",
      "runs after:completed,before the crash:running",
      "before 100",
      "after 10",
    ]);
  });
});

describe("values come back as they went in", () => {
  for (const store of ["memory://", "sqlite://"]) {
    test(`bigint, Date, -0, nested values, Maps (${store})`, async () => {
      const conn = store === "sqlite://" ? `sqlite://${join(project, "values")}` : store;
      const t = await ExperimentTracker.open(conn);
      const id = await t.startExperiment();
      t.logStatic("big", 2n ** 62n + 1n);
      t.logStatic("small", 42n);
      t.logStatic("when", new Date(Date.UTC(2026, 11, 1, 12, 30)));
      t.logStatic("negzero", -0);
      t.logStatic("float", 2 ** 60);
      t.logStatic("weights", new Float32Array([0.5, -1.25]));
      t.logStatic("nested", {
        big: -(2n ** 63n),
        when: new Date(0),
        z: -0,
        nan: NaN,
        missing: undefined,
        holes: [undefined, 1],
        map: new Map([["k", "v"]]),
        set: new Set([1, 2]),
      });
      assert.throws(() => t.logStatic("huge", 2n ** 64n), /outside the 64-bit range/);
      assert.throws(() => t.logStatic("bad", { f() {} }), /bad\.f is a function/);
      assert.throws(() => t.logStatic("when", new Date(NaN)), /when is an invalid Date/);
      assert.throws(() => t.logStatic("bytes", new ArrayBuffer(4)), /logAttachment/);
      t.logMetrics(new Map([["acc", 0.5], ["loss", 0.25]]), { step: 3 });
      await t.endExperiment();

      const reader = store === "sqlite://" ? await ExperimentTracker.open(conn) : t;
      const { params } = await reader.getExperiment(id);
      assert.equal(params.big, 2n ** 62n + 1n);
      assert.equal(params.small, 42);
      assert.equal(params.when, "2026-12-01T12:30:00.000Z");
      assert.ok(Object.is(params.negzero, -0), `${params.negzero}`);
      assert.equal(params.float, 2 ** 60);
      assert.deepEqual(params.weights, [0.5, -1.25]);
      assert.deepEqual(params.nested, {
        big: -(2n ** 63n),
        when: "1970-01-01T00:00:00.000Z",
        z: -0,
        nan: null,
        holes: [null, 1],
        map: { k: "v" },
        set: [1, 2],
      });
      assert.ok(Object.is(params.nested.z, -0));
      const metrics = await reader.listMetrics(id);
      assert.deepEqual(
        metrics.map((m) => [m.key, m.lastStep, m.lastValue]),
        [
          ["acc", 3, 0.5],
          ["loss", 3, 0.25],
        ],
      );
    });
  }

  test("unknown option keys are errors that name them", async () => {
    const t = await ExperimentTracker.open("memory://");
    await t.startExperiment();
    const calls = [
      () => t.logDynamic("loss", 1, { stp: 3 }),
      () => t.logDynamic("loss", 1, { step: 1, experimentID: "x" }),
      () => t.logMetrics({ loss: 1 }, { stp: 3 }),
      () => t.logStatic("lr", 1, { experiment: "x" }),
    ];
    for (const call of calls) {
      const e = caught(call);
      assert.equal(e.code, "INVALID_INPUT");
      assert.match(e.message, /is not an option here \(known: /);
    }
    const rejected = [
      t.startExperiment({ nmae: "typo" }),
      t.getMetricSeries("loss", { maxpoints: 10 }),
      t.getMetricHistory("loss", { id: "x" }),
      t.logAttachment("a.txt", "x", { bniary: true }),
      t.updateExperiment(t.currentExperiment, { title: "x" }),
    ];
    for (const p of rejected) {
      await assert.rejects(p, (e) => e.code === "INVALID_INPUT" && /not an option here|nmae|maxpoints|bniary|title/.test(e.message));
    }
    const e = caught(() => t.logDynamic("loss", 1, { stp: 3 }));
    assert.match(e.message, /"stp"/);
    // The mistyped calls logged nothing.
    assert.deepEqual(await t.listMetrics(), []);
  });

  test("after endExperiment, reads without an id use the experiment just ended", async () => {
    const t = await ExperimentTracker.open("memory://");
    const id = await t.startExperiment({ name: "ended" });
    t.logDynamic("loss", 0.5);
    t.logStatic("lr", 0.1);
    await t.logAttachment("notes.txt", "hi");
    await t.endExperiment();
    assert.equal(t.currentExperiment, null);
    assert.equal((await t.getExperiment()).id, id);
    assert.equal((await t.getMetricHistory("loss")).length, 1);
    assert.equal((await t.getMetricSeries("loss")).length, 1);
    assert.equal((await t.listMetrics()).length, 1);
    assert.equal((await t.listAttachments()).length, 1);
    assert.ok((await t.export()) instanceof Uint8Array);
    // Logging still needs a running experiment.
    assert.equal(caught(() => t.logDynamic("loss", 1)).code, "NO_ACTIVE_EXPERIMENT");
    // A new run becomes what reads default to.
    const next = await t.startExperiment();
    assert.equal((await t.getExperiment()).id, next);
    await t.failExperiment();
    assert.equal((await t.getExperiment()).status, "failed");
  });
});

describe("a Node process that dies keeps what it logged, and marks the run failed", () => {
  const cases = [
    ["throws", `throw new Error("boom");`, { code: 1 }],
    ["rejects", `Promise.reject(new Error("nope"));`, { code: 1 }],
    ["calls process.exit()", `process.exit(0);`, { code: 0 }],
    ["gets SIGINT", `console.log("ready"); setInterval(() => {}, 1000);`, { signal: "SIGINT" }],
    ["gets SIGTERM", `console.log("ready"); setInterval(() => {}, 1000);`, { signal: "SIGTERM" }],
  ];
  for (const [what, ending, expected] of cases) {
    test(`a script that ${what}`, async () => {
      const file = join(project, `dies-${what.replace(/\W+/g, "-")}`);
      const result = await runChild(
        `dies-${what.replace(/\W+/g, "-")}.mjs`,
        `import { ExperimentTracker } from "@sextant/tracker";
         const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${file}`)});
         const id = await t.startExperiment({ name: "dies" });
         console.log(id);
         t.logStatic("lr", 0.1);
         for (let i = 0; i < 500; i++) t.logDynamic("loss", 1 / (i + 1));
         ${ending}`,
        expected.signal ? { signal: expected.signal, signalAfter: "ready" } : {},
      );
      if (expected.signal) assert.equal(result.signal, expected.signal, result.err);
      else assert.equal(result.code, expected.code, result.err);
      const id = result.out.split("\n")[0].trim();
      // The exit hooks also released the store: no lock file is left for the next writer.
      const locks = readdirSync(file, { recursive: true }).filter((f) => f.endsWith("-nodelock"));
      assert.deepEqual(locks, []);
      const t = await ExperimentTracker.open(`sqlite://${file}`);
      const info = await t.getExperiment(id);
      assert.equal(info.status, "failed");
      assert.equal(info.params.lr, 0.1);
      const points = await t.getMetricHistory("loss", { experimentId: id });
      assert.equal(points.length, 500, "every point logged before the end");
      await t.close();
    });
  }

  test("a SIGINT handler of the program's own decides (here: ends the run)", async () => {
    const file = join(project, "graceful");
    const result = await runChild(
      "graceful.mjs",
      `import { ExperimentTracker } from "@sextant/tracker";
       const t = await ExperimentTracker.open(${JSON.stringify(`sqlite://${file}`)});
       const id = await t.startExperiment({ name: "graceful" });
       console.log(id);
       process.on("SIGINT", async () => { await t.endExperiment(); process.exit(0); });
       for (let i = 0; i < 50; i++) t.logDynamic("loss", i);
       console.log("ready");
       setInterval(() => {}, 1000);`,
      { signal: "SIGINT", signalAfter: "ready" },
    );
    assert.equal(result.code, 0, result.err);
    const id = result.out.split("\n")[0].trim();
    const t = await ExperimentTracker.open(`sqlite://${file}`);
    assert.equal((await t.getExperiment(id)).status, "completed");
    assert.equal((await t.getMetricHistory("loss", { experimentId: id })).length, 50);
    await t.close();
  });
});
