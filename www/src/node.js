// Node entry of @sextant/tracker: loads the wasm from the package synchronously at import,
// gives it file access for file:// stores, and a loader for the snapshot module.

import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import * as glue from "../pkg/sextant_web.js";
import { installFastPaths } from "./fast.js";
import { installTfjs } from "./tfjs.js";
import { fileHost } from "./file-host.js";
import { manageInstances } from "./instance.js";
import { installTracing } from "./tracing.js";

const module = new WebAssembly.Module(
  readFileSync(new URL("../pkg/sextant_web_bg.wasm", import.meta.url)),
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
};

function setup(g) {
  g.initSync({ module });
  g.installFileHost(fileHost);
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
  process.on("exit", failOpenNow);
  process.on("uncaughtExceptionMonitor", failOpenNow);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, function onSignal() {
      // Another handler owns the signal (a graceful stop, say): the runs are its business.
      if (process.listenerCount(signal) > 1) return;
      failOpenNow();
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

manageInstances(glue, setup, (n) => import(`../pkg/sextant_web.js?instance=${n}`), opened).start();

/** Resolves once the wasm is ready; in Node it already is. */
export async function load() {}

export const ExperimentTracker = glue.ExperimentTracker;
