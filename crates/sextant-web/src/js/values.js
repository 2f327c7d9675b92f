// JS values → JSON text for params and span attributes, done in JS so that nothing a caller
// passes (a cycle, 100,000 levels of nesting, a throwing getter, a Proxy) can recurse inside
// wasm or unwind through it. The rules, documented in www/README.md ("Params"):
//
// - numbers: whole numbers up to 2^53 as integers, others as floats; -0 stays -0;
//   NaN and ±Infinity inside objects and arrays become null (as JSON.stringify does);
// - bigints: exact 64-bit integers (read back as bigint beyond 2^53);
// - Date: its ISO string; Map (string keys): an object; Set and typed arrays: arrays;
// - undefined: omitted from objects, null in arrays (as JSON.stringify does);
// - other objects with toJSON(): what it returns; plain and class objects: own enumerable
//   string keys;
// - rejected, with the path of the bad value: functions, symbols, ArrayBuffer/DataView,
//   bigints outside 64 bits, invalid Dates, cycles, nesting deeper than `maxDepth`, more than
//   `maxNodes` objects and arrays.

const IDENT = /^[A-Za-z_$][\w$]*$/;
const I64_MIN = -(2n ** 63n);
const I64_END = 2n ** 63n;

class ValueError extends Error {}

function child(path, key) {
  return typeof key === "number" ? `${path}[${key}]` : IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A path as messages quote it: its start (the key) and its end, when long. */
function short(path) {
  return path.length > 160 ? `${path.slice(0, 80)}…${path.slice(-60)}` : path;
}

function numberText(v) {
  if (!Number.isFinite(v)) return "null";
  if (Object.is(v, -0)) return "-0.0";
  const text = JSON.stringify(v);
  // Whole numbers past 2^53 stay floats (no "e" or "." would make them integers).
  if (Number.isInteger(v) && !Number.isSafeInteger(v) && !/[.e]/.test(text)) return `${text}.0`;
  return text;
}

/** JSON text for `value`; throws a ValueError whose message starts with the bad path. */
export function jsonText(value, label, maxDepth, maxNodes) {
  let nodes = 0;
  const ancestors = [];
  let at = label;
  const fail = (path, why) => {
    throw new ValueError(`${short(path)} ${why}`);
  };
  function walk(v, path, depth) {
    at = path;
    switch (typeof v) {
      case "string":
        return JSON.stringify(v);
      case "boolean":
        return v ? "true" : "false";
      case "number":
        return numberText(v);
      case "bigint":
        if (v < I64_MIN || v >= I64_END) fail(path, "is a bigint outside the 64-bit range");
        return v.toString();
      case "undefined":
        return undefined;
      case "function":
        return fail(path, "is a function, not a JSON value");
      case "symbol":
        return fail(path, "is a symbol, not a JSON value");
    }
    if (v === null) return "null";
    if (ancestors.includes(v)) fail(path, "is a cycle: the object contains itself");
    if (depth >= maxDepth) fail(path, `is nested deeper than ${maxDepth} levels`);
    if (++nodes > maxNodes) fail(path, `holds more than ${maxNodes} objects and arrays`);
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) fail(path, "is an invalid Date");
      return JSON.stringify(v.toISOString());
    }
    if (v instanceof ArrayBuffer || v instanceof DataView) {
      fail(path, "is binary data: store it with logAttachment");
    }
    ancestors.push(v);
    let out;
    if (Array.isArray(v) || ArrayBuffer.isView(v) || v instanceof Set) {
      const items = Array.isArray(v) ? v : Array.from(v);
      const parts = new Array(items.length);
      for (let i = 0; i < items.length; i++) parts[i] = walk(items[i], child(path, i), depth + 1) ?? "null";
      out = `[${parts.join(",")}]`;
    } else {
      const parts = [];
      const field = (k, x) => {
        const text = walk(x, child(path, k), depth + 1);
        if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
      };
      if (v instanceof Map) {
        for (const [k, x] of v) {
          if (typeof k !== "string") fail(path, `is a Map with a ${typeof k} key: only string keys fit JSON`);
          field(k, x);
        }
      } else if (typeof v.toJSON === "function") {
        ancestors.pop();
        return walk(v.toJSON(), path, depth);
      } else {
        for (const k of Object.keys(v)) {
          at = child(path, k);
          field(k, v[k]);
        }
      }
      out = `{${parts.join(",")}}`;
    }
    ancestors.pop();
    return out;
  }
  try {
    return walk(value, label, 0) ?? "null";
  } catch (e) {
    if (e instanceof ValueError) throw e;
    // A getter or Proxy trap threw, or the JS stack ran out.
    throw new ValueError(`${short(at)} could not be read: ${e?.message ?? e}`);
  }
}

/** The own enumerable `[keys, values]` of an object or a Map, for logMetrics. */
export function metricEntries(values) {
  if (values instanceof Map) {
    const keys = [];
    const vals = [];
    for (const [k, v] of values) {
      keys.push(k);
      vals.push(v);
    }
    return [keys, vals];
  }
  const keys = Object.keys(values);
  return [keys, keys.map((k) => values[k])];
}

/** Own enumerable keys of an options object (to reject typos such as `{ stp: 3 }`). */
export function optionKeys(options) {
  return Object.keys(options);
}

/** A plain data property (no `__proto__` setter, no setters on the prototype). */
export function defineField(obj, key, value) {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}
