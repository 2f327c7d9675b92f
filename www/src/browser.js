// Browser (and bundler) entry of @sextant/tracker: fetches the wasm next to this file on
// first use. `ExperimentTracker.open` waits for it, so no separate init call is needed;
// `load()` starts the download early.

import init, { ExperimentTracker, installSnapshotCodec } from "../pkg/sextant_web.js";
import { installFastPaths } from "./fast.js";
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
};

let ready;
/** Loads the wasm once (idempotent). */
export function load() {
  ready ??= init({
    module_or_path: new URL("../pkg/sextant_web_bg.wasm", import.meta.url),
  }).then(() => installSnapshotCodec(snapshotCodec));
  return ready;
}

// The generated `open` needs the module instantiated; wait for it first.
const openLoaded = ExperimentTracker.open;
ExperimentTracker.open = async function open(connection) {
  await load();
  return openLoaded.call(ExperimentTracker, connection);
};

installFastPaths(ExperimentTracker);
// No AsyncLocalStorage in browsers: nesting follows a stack of open spans.
installTracing(ExperimentTracker);

export { ExperimentTracker };
