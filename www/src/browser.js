// Browser (and bundler) entry of @sextant/tracker: fetches the wasm next to this file on
// first use. `ExperimentTracker.open` waits for it, so no separate init call is needed;
// `load()` starts the download early.

import * as glue from "../pkg/sextant_web.js";
import { installFastPaths } from "./fast.js";
import { installTfjs } from "./tfjs.js";
import { manageInstances } from "./instance.js";
import { installTracing } from "./tracing.js";

let snapshot;
function snapshotModule() {
  snapshot ??= import("../pkg-snapshot/sextant_snapshot_wasm.js").then(async (m) => {
    await m.default({
      module_or_path: new URL("../pkg-snapshot/sextant_snapshot_wasm_bg.wasm", import.meta.url),
    });
    return m;
  });
  return snapshot;
}

const snapshotCodec = {
  async write(batchJson) {
    return (await snapshotModule()).writeSnapshot(batchJson);
  },
  async read(tar) {
    return (await snapshotModule()).readSnapshot(tar);
  },
  async search(listJson, filter, orderBy) {
    return (await snapshotModule()).searchExperiments(listJson, filter, orderBy);
  },
};

const wasmUrl = new URL("../pkg/sextant_web_bg.wasm", import.meta.url);

async function setup(g) {
  installFastPaths(g.ExperimentTracker);
  installTfjs(g.ExperimentTracker);
  // No AsyncLocalStorage in browsers: nesting follows a stack of open spans.
  installTracing(g.ExperimentTracker);
  await g.default({ module_or_path: wasmUrl });
  g.installSnapshotCodec(snapshotCodec);
}

// A fresh copy of the glue after a crash. Bundlers leave this import alone; where the glue
// is not next to this file at run time, the error says to reload instead.
function reload(n) {
  const url = `${new URL("../pkg/sextant_web.js", import.meta.url).href}?instance=${n}`;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ url);
}

const instances = manageInstances(glue, setup, reload);
let ready;
/** Loads the wasm once (idempotent). */
export function load() {
  ready ??= instances.start();
  return ready;
}

// `open` waits for the wasm; installing it here keeps `ExperimentTracker.open` usable before
// anyone calls `load()`.
const Exported = glue.ExperimentTracker;
const openBeforeLoad = async (connection) => {
  await load();
  return Exported.open(connection);
};
Exported.open = openBeforeLoad;

export const ExperimentTracker = Exported;
