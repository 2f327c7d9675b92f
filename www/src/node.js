// Node entry of @sextant/tracker: loads the Node build of the wasm (pkg-node/: the browser
// module plus the SQLite store behind sqlite://DIR, which imports node:fs itself)
// synchronously at import, and gives it a loader for the snapshot module.

import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import * as glue from "../pkg-node/sextant_web.js";
import { installFastPaths } from "./fast.js";
import { installTfjs } from "./tfjs.js";
import { manageInstances } from "./instance.js";
import { installTracing } from "./tracing.js";

const module = new WebAssembly.Module(
  readFileSync(new URL("../pkg-node/sextant_web_bg.wasm", import.meta.url)),
);

let snapshot;
async function snapshotModule() {
  if (!snapshot) {
    const m = await import("../pkg-snapshot/sextant_snapshot_wasm.js");
    m.initSync({
      module: readFileSync(new URL("../pkg-snapshot/sextant_snapshot_wasm_bg.wasm", import.meta.url)),
    });
    snapshot = m;
  }
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

const glues = [];

function setup(g) {
  g.initSync({ module });
  glues.push(g);
  g.installSnapshotCodec(snapshotCodec);
  installFastPaths(g.ExperimentTracker);
  installTfjs(g.ExperimentTracker);
  installTracing(g.ExperimentTracker, AsyncLocalStorage);
}

// ---- exit paths ----
// A process that exits (process.exit(), an uncaught exception, an unhandled rejection) or
// is interrupted (SIGINT, SIGTERM) writes what its trackers buffered and marks their running
// experiments failed, synchronously: Node runs no more promises then. A script that simply
// ends gets the same through `beforeExit` (tracker side).

const trackers = new Set();

/** The process is going: SQLite stores fold their logs in and drop their lock files. */
function closeStores() {
  for (const g of glues) {
    if (g.__sextantCrashed() !== null) continue;
    try {
      g.__closeStores();
    } catch {
      // Nothing more can be done while exiting.
    }
  }
}

function failOpenNow() {
  for (const ref of trackers) {
    const tracker = ref.deref();
    if (tracker === undefined) {
      trackers.delete(ref);
      continue;
    }
    try {
      tracker.__failOpenNow();
    } catch {
      // Freed, or its instance crashed: nothing left to write.
    }
  }
}

let hooked = false;
function hookExits() {
  if (hooked) return;
  hooked = true;
  process.on("exit", () => {
    failOpenNow();
    closeStores();
  });
  process.on("uncaughtExceptionMonitor", failOpenNow);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, function onSignal() {
      // Another handler owns the signal (a graceful stop, say): the runs are its business.
      if (process.listenerCount(signal) > 1) return;
      failOpenNow();
      closeStores();
      // Then die of the signal as Node would have without this listener.
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    });
  }
}

function opened(tracker) {
  trackers.add(new WeakRef(tracker));
  hookExits();
}

manageInstances(glue, setup, (n) => import(`../pkg-node/sextant_web.js?instance=${n}`), opened).start();

/** Resolves once the wasm is ready; in Node it already is. */
export async function load() {}

export const ExperimentTracker = glue.ExperimentTracker;
