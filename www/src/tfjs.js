// TensorFlow.js support, with no dependency on it: scalar tensors as metric values, and
// `tracker.tfjsCallback()` for `model.fit` / `fitDataset`.

function invalid(message) {
  const err = new Error(message);
  err.code = "INVALID_INPUT";
  return err;
}

function isTensor(v) {
  return v !== null && typeof v === "object" && typeof v.dataSync === "function";
}

/** A tensor holding one value, as a number; anything bigger is an error saying what to do. */
export function scalarValue(key, tensor) {
  const shape = Array.isArray(tensor.shape) ? tensor.shape : [];
  const size = shape.reduce((n, d) => n * d, 1);
  if (size !== 1) {
    throw invalid(
      `invalid metric value [tensor of shape [${shape.join(", ")}]]: metric ${JSON.stringify(key)} ` +
        "takes one number; pick an element or reduce it first (e.g. tensor.mean()), or call " +
        "dataSync() and log the values you want",
    );
  }
  return Number(tensor.dataSync()[0]);
}

/** Metric values with scalar tensors resolved (a plain object or a Map, as logMetrics takes). */
export function resolveTensors(values) {
  if (values === null || typeof values !== "object") return values;
  if (values instanceof Map) {
    if (![...values.values()].some(isTensor)) return values;
    return new Map([...values].map(([k, v]) => [k, isTensor(v) ? scalarValue(k, v) : v]));
  }
  const keys = Object.keys(values);
  if (!keys.some((k) => isTensor(values[k]))) return values;
  const out = {};
  for (const k of keys) out[k] = isTensor(values[k]) ? scalarValue(k, values[k]) : values[k];
  return out;
}

export { isTensor };

/** tfjs's bookkeeping entries in batch logs, not metrics. */
const BOOKKEEPING = new Set(["batch", "size"]);

function metricsOf(logs, prefix) {
  const out = {};
  for (const [k, v] of Object.entries(logs ?? {})) {
    if (BOOKKEEPING.has(k)) continue;
    out[prefix + k] = isTensor(v) ? scalarValue(prefix + k, v) : v;
  }
  return out;
}

function concat(buffers) {
  const parts = Array.isArray(buffers) ? buffers : [buffers];
  const out = new Uint8Array(parts.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of parts) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

/** Saves a tfjs model as `name/model.json` + `name/weights.bin` attachments (tfjs's layout). */
async function saveModel(tracker, model, name, experimentId) {
  let saved;
  await model.save({
    async save(artifacts) {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    },
  });
  const manifest = {
    modelTopology: saved.modelTopology,
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths: ["./weights.bin"], weights: saved.weightSpecs ?? [] }],
  };
  const options = experimentId === undefined ? {} : { experimentId };
  await tracker.logAttachment(`${name}/model.json`, JSON.stringify(manifest), options);
  await tracker.logAttachment(`${name}/weights.bin`, concat(saved.weightData ?? []), {
    ...options,
    binary: true,
  });
}

const OPTIONS = new Set(["every", "experimentId", "model", "topology", "weights"]);

export function installTfjs(ExperimentTracker) {
  const proto = ExperimentTracker.prototype;

  /**
   * Callbacks for `model.fit(x, y, { callbacks: tracker.tfjsCallback({ model }) })`: logs
   * tfjs's logs as metrics, per epoch (step = epoch) or per batch (step = batches so far;
   * the epoch's logs then go in as `epoch/<name>` at step = epoch). Given the `model` (tfjs
   * does not hand it to plain callbacks), its topology becomes a param (`topology`: the key,
   * default "model"; false: none) and, with `weights` (true or a folder name), its weights
   * attachments at the end of training.
   */
  proto.tfjsCallback = function tfjsCallback(options = {}) {
    if (options === null || typeof options !== "object") {
      throw invalid(`invalid tfjsCallback options ${String(options)}: must be an options object`);
    }
    for (const k of Object.keys(options)) {
      if (!OPTIONS.has(k)) {
        throw invalid(
          `invalid tfjsCallback option ${JSON.stringify(k)}: is not an option here (known: ${[...OPTIONS].join(", ")})`,
        );
      }
    }
    const every = options.every ?? "epoch";
    if (every !== "epoch" && every !== "batch") {
      throw invalid(`invalid tfjsCallback option every ${JSON.stringify(every)}: must be "epoch" or "batch"`);
    }
    const tracker = this;
    const { experimentId } = options;
    const at = (step) => (experimentId === undefined ? { step } : { step, experimentId });
    const topology = options.topology ?? true;
    const given = options.model;
    if (given !== undefined && typeof given?.toJSON !== "function") {
      throw invalid("invalid tfjsCallback option model: must be the tfjs LayersModel being trained");
    }
    const weights = options.weights === true ? "model" : options.weights || null;
    let batches = 0;
    return {
      // `this` is tfjs's wrapper; a tf.Callback subclass calling these would hold `model`.
      onTrainBegin() {
        const model = given ?? this?.model;
        if (topology && model?.toJSON) {
          const params = experimentId === undefined ? undefined : { experimentId };
          tracker.logStatic(topology === true ? "model" : topology, model.toJSON(null, false), params);
        }
      },
      onBatchEnd(_batch, logs) {
        if (every === "batch") tracker.logMetrics(metricsOf(logs, ""), at(batches));
        batches++;
      },
      onEpochEnd(epoch, logs) {
        tracker.logMetrics(metricsOf(logs, every === "batch" ? "epoch/" : ""), at(epoch));
      },
      async onTrainEnd() {
        const model = given ?? this?.model;
        if (weights && model?.save) await saveModel(tracker, model, weights, experimentId);
        await tracker.flush();
      },
    };
  };

}
