// Tracing on top of `logSpan` (tracker-api.md, "Tracing"), shared by the Node and browser
// entries:
//
// - `tracker.spanExporter()`: an OpenTelemetry JS `SpanExporter` that converts each
//   `ReadableSpan` (SDK 1.x and 2.x shapes) into a `logSpan` input;
// - `tracker.enableTracing()` + `tracker.span(name, fn, attributes)`: a built-in helper for
//   code without OpenTelemetry. Nesting follows an `AsyncLocalStorage` in Node (exact across
//   awaits and concurrent branches) and a stack of open spans in browsers (best-effort).

const EXPORT_SUCCESS = 0;
const EXPORT_FAILED = 1;

// ---- ids ---------------------------------------------------------------------------------

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** `bytes` random bytes as lowercase hex (crypto.getRandomValues, drawn from a pool). */
function randomHex(bytes) {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      globalThis.crypto.getRandomValues(pool);
      poolAt = 0;
    }
    let hex = "";
    let zero = true;
    for (let i = 0; i < bytes; i++) {
      const b = pool[poolAt++];
      if (b !== 0) zero = false;
      hex += HEX[b];
    }
    if (!zero) return hex; // all-zero ids are invalid in OpenTelemetry
  }
}

// ---- clock -------------------------------------------------------------------------------

// Unix nanoseconds: the page's (process's) time origin once, plus the monotonic clock.
const originNs = BigInt(Math.round(performance.timeOrigin * 1e6));
function nowNs() {
  return originNs + BigInt(Math.round(performance.now() * 1e6));
}

// ---- OpenTelemetry conversion ------------------------------------------------------------

/** luml's span type from the GenAI semantic conventions (or OpenLLMetry's attribute). */
const SPAN_TYPES = {
  chat: 1,
  completion: 1,
  text_completion: 1,
  generate_content: 1,
  agent: 2,
  invoke_agent: 2,
  create_agent: 2,
  tool: 3,
  execute_tool: 3,
  embeddings: 4,
  embedding: 4,
  rerank: 5,
};

function spanType(attributes) {
  const op = attributes["gen_ai.operation.name"] ?? attributes["llm.request.type"];
  return typeof op === "string" ? (SPAN_TYPES[op.toLowerCase()] ?? 0) : 0;
}

/** HrTime `[seconds, nanoseconds]` as exact unix nanoseconds. */
function hrTimeNs(time, what) {
  if (Array.isArray(time) && time.length === 2) {
    const [s, ns] = time;
    if (Number.isSafeInteger(s) && Number.isSafeInteger(ns) && s >= 0 && ns >= 0) {
      return BigInt(s) * 1_000_000_000n + BigInt(ns);
    }
  }
  // Some instrumentations hand the SDK a millisecond number, which it keeps as given.
  if (typeof time === "number" && Number.isFinite(time) && time >= 0) {
    return BigInt(Math.round(time * 1e6));
  }
  throw new TypeError(`${what} is not an HrTime [seconds, nanoseconds]: ${JSON.stringify(time)}`);
}

/** OTel attributes to JSON: undefined values dropped, undefined array items null. */
function attrs(attributes) {
  const out = {};
  if (attributes === undefined || attributes === null) return out;
  for (const key of Object.keys(attributes)) {
    const v = attributes[key];
    if (v === undefined) continue;
    out[key] = Array.isArray(v) ? v.map((x) => (x === undefined ? null : x)) : v;
  }
  return out;
}

/** One ReadableSpan (SDK 1.x or 2.x) as a `logSpan` input. */
export function fromReadableSpan(span) {
  const ctx = span.spanContext();
  const attributes = attrs(span.attributes);
  const status = span.status ?? { code: 0 };
  return {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? span.parentSpanId ?? null,
    name: span.name,
    kind: typeof span.kind === "number" ? span.kind + 1 : 0,
    dfsSpanType: spanType(attributes),
    startTimeUnixNano: hrTimeNs(span.startTime, "startTime"),
    endTimeUnixNano: hrTimeNs(span.endTime, "endTime"),
    status: status.code === 1 || status.code === 2 ? status.code : 0,
    statusMessage: status.message || null,
    attributes,
    events: (span.events ?? []).map((e) => ({
      name: e.name,
      timestamp: hrTimeNs(e.time, `event "${e.name}" time`),
      attributes: attrs(e.attributes),
    })),
    links: (span.links ?? []).map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceFlags: l.context.traceFlags ?? null,
      attributes: attrs(l.attributes),
    })),
    traceFlags: ctx.traceFlags ?? null,
  };
}

function describe(span) {
  let id = "?";
  try {
    id = span.spanContext().spanId;
  } catch {}
  let name;
  try {
    name = JSON.stringify(span.name);
  } catch {}
  return `span ${name ?? "?"} (${id})`;
}

class TrackerSpanExporter {
  #tracker;
  #options;
  #shutdown = false;

  constructor(tracker, options) {
    this.#tracker = tracker;
    this.#options = options;
  }

  export(spans, resultCallback) {
    let result;
    try {
      if (this.#shutdown) {
        result = { code: EXPORT_FAILED, error: new Error("the span exporter is shut down") };
      } else {
        const failures = [];
        let stored = 0;
        for (const span of spans) {
          try {
            this.#tracker.logSpan(fromReadableSpan(span), this.#options);
            stored++;
          } catch (e) {
            failures.push({ span, error: e });
          }
        }
        if (failures.length === 0) {
          result = { code: EXPORT_SUCCESS };
        } else {
          const list = failures.map((f) => `${describe(f.span)}: ${f.error?.message ?? f.error}`);
          const error = new Error(
            `stored ${stored} of ${spans.length} spans; could not store ${list.join("; ")}`,
          );
          error.code = failures[0].error?.code ?? "INVALID_INPUT";
          error.failed = failures;
          result = { code: EXPORT_FAILED, error };
        }
      }
    } catch (e) {
      // `spans` itself unusable: still never throw.
      result = { code: EXPORT_FAILED, error: e instanceof Error ? e : new Error(String(e)) };
    }
    resultCallback(result);
  }

  async forceFlush() {
    if (!this.#shutdown) await this.#tracker.flush();
  }

  async shutdown() {
    if (this.#shutdown) return;
    this.#shutdown = true;
    await this.#tracker.flush();
  }
}

// ---- the span() helper -------------------------------------------------------------------

/** Node: exact context across awaits. */
function asyncLocalContext(AsyncLocalStorage) {
  const storage = new AsyncLocalStorage();
  return {
    current: () => storage.getStore(),
    run: (span, fn) => storage.run(span, fn),
  };
}

/**
 * Browsers: a stack of open spans. A span stays on the stack until it ends, so a child
 * started after `await`s inside its parent still finds it; concurrent un-awaited siblings
 * (and anything else started while they are open) nest under the most recently opened one.
 */
function stackContext() {
  const open = [];
  return {
    current: () => open[open.length - 1],
    run(span, fn) {
      open.push(span);
      const done = () => {
        const i = open.lastIndexOf(span);
        if (i !== -1) open.splice(i, 1);
      };
      let result;
      try {
        result = fn();
      } catch (e) {
        done();
        throw e;
      }
      return Promise.resolve(result).finally(done);
    },
  };
}

class SpanHandle {
  #record;

  constructor(record) {
    this.#record = record;
  }

  get traceId() {
    return this.#record.traceId;
  }

  get spanId() {
    return this.#record.spanId;
  }

  setAttribute(key, value) {
    this.#record.attributes[key] = value;
    return this;
  }

  addEvent(name, attributes) {
    this.#record.events.push({ name, timestamp: nowNs(), attributes: attributes ?? {} });
    return this;
  }
}

const INERT = Object.freeze({
  traceId: "",
  spanId: "",
  setAttribute() {
    return this;
  },
  addEvent() {
    return this;
  },
});

const enabled = new WeakSet();

export function installTracing(ExperimentTracker, AsyncLocalStorage) {
  const context = AsyncLocalStorage ? asyncLocalContext(AsyncLocalStorage) : stackContext();
  const proto = ExperimentTracker.prototype;

  proto.spanExporter = function spanExporter(options) {
    return new TrackerSpanExporter(this, options);
  };

  proto.enableTracing = function enableTracing() {
    enabled.add(this);
  };

  proto.span = async function span(name, fn, attributes) {
    if (!enabled.has(this)) return fn(INERT);
    const parent = context.current();
    const record = {
      traceId: parent ? parent.traceId : randomHex(16),
      spanId: randomHex(8),
      parentSpanId: parent ? parent.spanId : null,
      name,
      kind: 1,
      startTimeUnixNano: nowNs(),
      endTimeUnixNano: 0n,
      status: "ok",
      statusMessage: null,
      attributes: attributes ? { ...attributes } : {},
      events: [],
    };
    const handle = new SpanHandle(record);
    let value;
    try {
      value = await context.run(record, () => fn(handle));
    } catch (e) {
      record.endTimeUnixNano = nowNs();
      const message = e instanceof Error ? e.message : String(e);
      record.status = "error";
      record.statusMessage = message;
      const event = { "exception.message": message };
      event["exception.type"] = e instanceof Error ? e.name : typeof e;
      if (e instanceof Error && typeof e.stack === "string") event["exception.stacktrace"] = e.stack;
      record.events.push({ name: "exception", timestamp: record.endTimeUnixNano, attributes: event });
      try {
        this.logSpan(record);
      } catch {
        // fn's error is the one to report; a span that cannot be stored is dropped.
      }
      throw e;
    }
    record.endTimeUnixNano = nowNs();
    this.logSpan(record);
    return value;
  };
}
