// Node entry of @sextant/tracker: loads the wasm from the package synchronously at import,
// gives it file access for file:// stores, and a loader for the snapshot module.

import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import * as glue from "../pkg/sextant_web.js";
import { installFastPaths } from "./fast.js";
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
  installTracing(g.ExperimentTracker, AsyncLocalStorage);
}

manageInstances(glue, setup, (n) => import(`../pkg/sextant_web.js?instance=${n}`)).start();

/** Resolves once the wasm is ready; in Node it already is. */
export async function load() {}

export const ExperimentTracker = glue.ExperimentTracker;
