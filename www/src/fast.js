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

const I64_MIN = -(2n ** 63n);
const I64_END = 2n ** 63n;
const STATUS = { unset: 0, ok: 1, error: 2 };

const isAbsent = (v) => v === undefined || v === null;
const optString = (v) => isAbsent(v) || typeof v === "string";
const optInt = (v) => isAbsent(v) || Number.isSafeInteger(v);
const noItems = (v) => isAbsent(v) || (Array.isArray(v) && v.length === 0);

/** Unix nanoseconds as a 64-bit bigint, or undefined for the checked path. */
function nanos(v) {
  if (typeof v === "bigint") return v >= I64_MIN && v < I64_END ? v : undefined;
  return Number.isSafeInteger(v) ? BigInt(v) : undefined;
}

/** A value whose JSON.stringify text is what values.js would write: strings, booleans,
 * null, safe integers (not -0) and finite non-integers. */
function plainValue(v) {
  switch (typeof v) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isSafeInteger(v) ? !Object.is(v, -0) : Number.isFinite(v) && !Number.isInteger(v);
    default:
      return v === null;
  }
}

/** JSON text for attributes of plain values (and arrays of them), "" for none, or
 * undefined when the checked path must convert them. */
function plainAttributes(attributes) {
  if (isAbsent(attributes)) return "";
  if (typeof attributes !== "object" || Object.getPrototypeOf(attributes) !== Object.prototype) return undefined;
  let any = false;
  for (const k of Object.keys(attributes)) {
    const v = attributes[k];
    any = true;
    if (v === undefined || plainValue(v)) continue;
    if (!Array.isArray(v)) return undefined;
    for (let i = 0; i < v.length; i++) if (v[i] !== undefined && !plainValue(v[i])) return undefined;
  }
  return any ? JSON.stringify(attributes) : "";
}

/** The experimentId of `{ experimentId }` (null for no options), or undefined. */
function plainExperimentId(options) {
  if (options === undefined) return null;
  if (options === null || typeof options !== "object") return undefined;
  let id = null;
  for (const k in options) {
    if (k !== "experimentId" || !Object.hasOwn(options, k)) return undefined;
    id = options.experimentId;
    if (id === undefined) id = null;
    else if (typeof id !== "string") return undefined;
  }
  return id;
}

/** logSpan's arguments for logSpanFast, or undefined for the checked path. */
function plainSpan(span, options) {
  if (span === null || typeof span !== "object") return undefined;
  const { traceId, spanId, parentSpanId, name, kind, dfsSpanType, traceFlags, statusMessage } = span;
  if (typeof traceId !== "string" || typeof spanId !== "string" || typeof name !== "string") return undefined;
  if (!optString(parentSpanId) || !optString(statusMessage)) return undefined;
  if (!optInt(kind) || !optInt(dfsSpanType) || !optInt(traceFlags)) return undefined;
  if (!noItems(span.events) || !noItems(span.links)) return undefined;
  const start = nanos(span.startTimeUnixNano);
  const end = nanos(span.endTimeUnixNano);
  if (start === undefined || end === undefined) return undefined;
  const s = span.status;
  let status;
  if (isAbsent(s)) status = 0;
  else if (typeof s === "string") status = Object.hasOwn(STATUS, s) ? STATUS[s] : undefined;
  else if (Number.isSafeInteger(s)) status = s;
  if (status === undefined) return undefined;
  const attributes = plainAttributes(span.attributes);
  if (attributes === undefined) return undefined;
  const id = plainExperimentId(options);
  if (id === undefined) return undefined;
  return [
    traceId, spanId, parentSpanId ?? undefined, name, kind ?? undefined, dfsSpanType ?? undefined,
    start, end, status, statusMessage ?? undefined, attributes === "" ? undefined : attributes,
    traceFlags ?? undefined, id ?? undefined,
  ];
}

export function installFastPaths(ExperimentTracker) {
  const proto = ExperimentTracker.prototype;
  const checkedLogDynamic = proto.logDynamic;
  const checkedLogMetrics = proto.logMetrics;
  const checkedLogSpan = proto.logSpan;

  // Spans from span() and spanExporter() are plain: their fields cross in one call. A
  // getter or Proxy that throws while they are looked at leaves the span to the checked
  // path, which reports it.
  proto.logSpan = function logSpan(span, options) {
    let args;
    try {
      args = plainSpan(span, options);
    } catch {
      args = undefined;
    }
    if (args === undefined) return checkedLogSpan.call(this, span, options);
    return this.logSpanFast(...args);
  };

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
