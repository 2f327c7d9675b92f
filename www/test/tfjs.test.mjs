// tracker.tfjsCallback() with the real @tensorflow/tfjs (CPU backend, pure JS) training a
// small model, and scalar tensors as metric values; the packed package, as a user has it.

import assert from "node:assert/strict";
import { before, test } from "node:test";

import * as tf from "@tensorflow/tfjs";

import { importPackage, installPackage } from "./support/package.mjs";

let ExperimentTracker;

before(async () => {
  const { project } = installPackage();
  ({ ExperimentTracker } = await importPackage(project));
  await tf.setBackend("cpu");
});

/** 32 points of y = 2x - 1 with noise, and a one-unit dense model. */
function data() {
  const xs = Array.from({ length: 32 }, (_, i) => i / 32);
  const ys = xs.map((x, i) => 2 * x - 1 + ((i * 7919) % 13) / 1000);
  return [tf.tensor2d(xs, [32, 1]), tf.tensor2d(ys, [32, 1])];
}

function model() {
  const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
  m.compile({ optimizer: tf.train.sgd(0.5), loss: "meanSquaredError", metrics: ["mse"] });
  return m;
}

test("per batch: tfjs's logs as metrics, bookkeeping skipped, topology and weights kept", async () => {
  const t = await ExperimentTracker.open("memory://");
  const id = await t.startExperiment({ name: "tfjs" });
  const m = model();
  const [x, y] = data();
  const history = await m.fit(x, y, {
    epochs: 3,
    batchSize: 8,
    shuffle: false,
    callbacks: t.tfjsCallback({ every: "batch", model: m, weights: true }),
  });
  await t.endExperiment();

  const keys = (await t.listMetrics(id)).map((s) => [s.key, s.count, s.firstStep, s.lastStep]);
  assert.deepEqual(keys, [
    ["epoch/loss", 3, 0, 2],
    ["epoch/mse", 3, 0, 2],
    ["loss", 12, 0, 11],
    ["mse", 12, 0, 11],
  ]);
  const epochLoss = (await t.getMetricHistory("epoch/loss", { experimentId: id })).map((p) => p.value);
  assert.deepEqual(epochLoss, history.history.loss, "exactly what tfjs reported");

  const info = await t.getExperiment(id);
  assert.equal(info.params.model.class_name, "Sequential");
  const names = (await t.listAttachments(id)).map((a) => a.name);
  assert.deepEqual(names, ["model/model.json", "model/weights.bin"]);

  // The attachments load back into tfjs as the trained model.
  const manifest = JSON.parse(new TextDecoder().decode(await t.getAttachment("model/model.json")));
  const weights = await t.getAttachment("model/weights.bin");
  assert.equal(weights.byteLength, 2 * 4, "kernel and bias, float32");
  const loaded = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: manifest.modelTopology,
      weightSpecs: manifest.weightsManifest[0].weights,
      weightData: weights.slice().buffer,
    }),
  );
  const probe = tf.tensor2d([0.25], [1, 1]);
  assert.equal(loaded.predict(probe).dataSync()[0], m.predict(probe).dataSync()[0]);
});

test("per epoch (the default), into a named experiment", async () => {
  const t = await ExperimentTracker.open("memory://");
  const id = await t.startExperiment();
  await t.startExperiment(); // another one is current
  const [x, y] = data();
  const m = model();
  await m.fit(x, y, {
    epochs: 4,
    batchSize: 16,
    validationSplit: 0.25,
    callbacks: [t.tfjsCallback({ experimentId: id, model: m, topology: "net" })],
  });
  const keys = (await t.listMetrics(id)).map((s) => [s.key, s.count, s.lastStep]);
  assert.deepEqual(keys, [
    ["loss", 4, 3],
    ["mse", 4, 3],
    ["val_loss", 4, 3],
    ["val_mse", 4, 3],
  ]);
  assert.equal((await t.getExperiment(id)).params.net.class_name, "Sequential");
  assert.throws(() => t.tfjsCallback({ evry: "batch" }), /"evry": is not an option/);
  assert.throws(() => t.tfjsCallback({ every: "step" }), /must be "epoch" or "batch"/);
});

test("scalar tensors are metric values; other tensors say what to do", async () => {
  const t = await ExperimentTracker.open("memory://");
  await t.startExperiment();
  t.logDynamic("loss", tf.scalar(0.25), { step: 0 });
  t.logMetrics({ acc: tf.tensor1d([0.5]), lr: 0.1 }, { step: 0 });
  t.logMetrics(new Map([["acc", tf.scalar(0.75)]]), { step: 1 });
  const err = (() => {
    try {
      t.logDynamic("loss", tf.tensor1d([1, 2]));
    } catch (e) {
      return e;
    }
  })();
  assert.equal(err?.code, "INVALID_INPUT");
  assert.match(err.message, /tensor of shape \[2\].*"loss".*dataSync\(\)/);
  const acc = (await t.getMetricHistory("acc")).map((p) => p.value);
  assert.deepEqual(acc, [0.5, 0.75]);
  assert.equal((await t.getMetricHistory("loss"))[0].value, 0.25);
  // A Float32Array param is stored as a list.
  t.logStatic("weights", new Float32Array([0.5, 0.25]));
  assert.deepEqual((await t.getExperiment()).params.weights, [0.5, 0.25]);
});
