// Node entry of @sextant/tracker: loads the wasm from the package synchronously at import,
// gives it file access for file:// stores, and a loader for the snapshot module.

import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import {
  ExperimentTracker,
  initSync,
  installFileHost,
  installSnapshotCodec,
} from "../pkg/sextant_web.js";
import { installFastPaths } from "./fast.js";
import { fileHost } from "./file-host.js";
import { installTracing } from "./tracing.js";

initSync({ module: readFileSync(new URL("../pkg/sextant_web_bg.wasm", import.meta.url)) });
installFileHost(fileHost);
installFastPaths(ExperimentTracker);
installTracing(ExperimentTracker, AsyncLocalStorage);

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

installSnapshotCodec({
  async write(batchJson) {
    return (await snapshotModule()).writeSnapshot(batchJson);
  },
  async read(tar) {
    return (await snapshotModule()).readSnapshot(tar);
  },
});

/** Resolves once the wasm is ready; in Node it already is. */
export async function load() {}

export { ExperimentTracker };
