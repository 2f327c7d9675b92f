// Fast paths for the calls a training loop makes per step. The wasm class checks every
// argument itself, but each check is a call across the JS/wasm boundary; here the common
// case (a string key, a number, an optional whole-number step) is checked in JS and the
// key crosses once, as a small integer, after wasm has validated it. Anything unusual —
// a bad type, a NaN step, an experimentId — goes to the full wasm method, which throws the
// error that names the bad input.

import { isTensor, resolveTensors, scalarValue } from "./tfjs.js";

const keyIds = new WeakMap();

function keyId(tracker, key) {
  let ids = keyIds.get(tracker);
  if (ids === undefined) keyIds.set(tracker, (ids = new Map()));
  let id = ids.get(key);
  if (id === undefined) {
    id = tracker.internKey(key); // throws for an invalid key, which is then not cached
    ids.set(key, id);
  }
  return id;
}

/** -1 for auto-step, the step, or undefined when the full method must decide. */
function plainStep(options) {
  if (options === undefined) return -1;
  if (options === null || typeof options !== "object") return undefined;
  let step = -1;
  // Any key but `step` (an experimentId, or a typo the full method rejects) takes the
  // checked path.
  for (const k in options) {
    if (k !== "step" || !Object.hasOwn(options, k)) return undefined;
    step = options.step;
    if (step === undefined) step = -1;
    else if (!(Number.isSafeInteger(step) && step >= 0)) return undefined;
  }
  return step;
}

export function installFastPaths(ExperimentTracker) {
  const proto = ExperimentTracker.prototype;
  const checkedLogDynamic = proto.logDynamic;
  const checkedLogMetrics = proto.logMetrics;

  proto.logDynamic = function logDynamic(key, value, options) {
    if (typeof key === "string" && typeof value === "number") {
      const step = plainStep(options);
      if (step !== undefined) return this.logDynamicFast(keyId(this, key), value, step, Date.now());
    }
    // Scalar tensors (anything with dataSync()) count as their number.
    if (isTensor(value)) value = scalarValue(key, value);
    return checkedLogDynamic.call(this, key, value, options);
  };

  proto.logMetrics = function logMetrics(values, options) {
    const step = plainStep(options);
    if (
      step !== undefined &&
      values !== null &&
      typeof values === "object" &&
      !Array.isArray(values) &&
      Object.getPrototypeOf(values) === Object.prototype
    ) {
      const names = Object.keys(values);
      const numbers = new Float64Array(names.length);
      let plain = true;
      for (let i = 0; i < names.length && plain; i++) {
        const v = values[names[i]];
        plain = typeof v === "number";
        numbers[i] = v;
      }
      if (plain) {
        const ids = new Uint32Array(names.length);
        for (let i = 0; i < names.length; i++) ids[i] = keyId(this, names[i]);
        return this.logMetricsFast(ids, numbers, step, Date.now());
      }
    }
    return checkedLogMetrics.call(this, resolveTensors(values), options);
  };
}
