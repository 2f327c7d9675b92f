// Trains a logistic regression on generated data and tracks it into a sqlite:// store (the
// luml layout: `sextant ls`, `sextant ui` and luml-sdk open it as it is):
//
//   node www/examples/node-logreg.mjs [sqlite://DIR]     (default sqlite://./experiments)
//
// then reads the run back and writes its luml snapshot beside it (`sextant import` reads it).

import { writeFileSync } from "node:fs";
import { ExperimentTracker } from "@sextant/tracker";
import { makeData, train } from "./logreg.js";

const tracker = await ExperimentTracker.open(process.argv[2]);

const config = { epochs: 30, lr: 0.1, batchSize: 64, samples: 2000, dims: 4 };
const id = await tracker.startExperiment({
  name: `logreg-lr${config.lr}`,
  group: "logistic-regression",
  tags: ["example", "node"],
  source: "www/examples/node-logreg.mjs",
});
for (const [key, value] of Object.entries(config)) tracker.logStatic(key, value);

const data = makeData(config);
const model = train(data, config, ({ epoch, loss, accuracy }) => {
  tracker.logMetrics({ loss, accuracy }, { step: epoch });
});
await tracker.logAttachment("model.json", JSON.stringify(model, null, 2));
await tracker.endExperiment();

const run = await tracker.getExperiment(id);
const losses = await tracker.getMetricHistory("loss", { experimentId: id });
console.log(`${run.name} (${run.id}) ${run.status} in ${run.duration?.toFixed(2)} s`);
console.log(`loss ${losses[0].value.toFixed(4)} -> ${run.metrics.loss.toFixed(4)}, accuracy ${run.metrics.accuracy.toFixed(3)}`);

const snapshot = `${id}.tar`;
writeFileSync(snapshot, await tracker.export(id));
console.log(`snapshot: ${snapshot} (sextant import ${snapshot})`);
await tracker.close();
