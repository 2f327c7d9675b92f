// The browser example: train, track into IndexedDB, list the runs, export a snapshot.

import { ExperimentTracker } from "@sextant/tracker";
import { makeData, train } from "../logreg.js";

const out = document.getElementById("out");
const tracker = await ExperimentTracker.open("idb://sextant-examples");
let lastRun = null;

async function run() {
  const config = { epochs: 30, lr: 0.05 + Math.random() * 0.2, batchSize: 64, samples: 2000, dims: 4 };
  lastRun = await tracker.startExperiment({
    group: "logistic-regression",
    tags: ["example", "browser"],
    source: location.pathname,
  });
  for (const [key, value] of Object.entries(config)) tracker.logStatic(key, value);
  train(makeData(config), config, ({ epoch, loss, accuracy }) => {
    tracker.logMetrics({ loss, accuracy }, { step: epoch });
  });
  await tracker.endExperiment();
  const runs = await tracker.listExperiments();
  out.textContent = runs
    .map((r) => `${r.name.padEnd(24)} ${r.status.padEnd(10)} lr=${Number(r.params.lr).toFixed(3)} ` +
      `loss=${r.metrics.loss?.toFixed(4)} acc=${r.metrics.accuracy?.toFixed(3)}`)
    .join("\n");
  document.title = `done: ${runs.length} runs`;
}

document.getElementById("train").onclick = run;
document.getElementById("export").onclick = async () => {
  if (!lastRun) return;
  const tar = await tracker.export(lastRun);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([tar], { type: "application/x-tar" }));
  link.download = `${lastRun}.tar`;
  link.click();
};
await run();
