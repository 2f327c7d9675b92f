// Types for @sextant/tracker: the ExperimentTracker contract (tracker-api.md) in camelCase.
// Hand-written; the class itself is implemented in Rust (crates/sextant-web) and exported
// through wasm-bindgen.

/** Any JSON value; what `logStatic` takes besides plain strings, numbers and booleans. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * A param ("static") value as `logStatic` takes it. Whole numbers up to 2^53 are stored as
 * ints, others (and -0) as floats; bigints as exact 64-bit ints; a `Date` as its ISO string.
 * Inside objects and arrays: `Date` → ISO string, `Map` (string keys) → object, `Set` and
 * typed arrays → arrays, NaN/±Infinity → null and `undefined` → omitted (null in arrays), as
 * `JSON.stringify` does. Cycles, nesting deeper than 64 levels, functions, symbols and
 * `ArrayBuffer`s are rejected (`INVALID_INPUT`, naming the path).
 */
export type ParamInput =
  | JsonValue
  | bigint
  | Date
  | ArrayBufferView
  | ReadonlyMap<string, ParamInput>
  | ReadonlySet<ParamInput>
  | readonly ParamInput[]
  | { [key: string]: ParamInput | undefined };

/** A param as read back: ints beyond 2^53 (they were bigints) come back as bigints. */
export type ParamValue =
  | string
  | number
  | boolean
  | null
  | bigint
  | ParamValue[]
  | { [key: string]: ParamValue };

/** Records and points: what `pending()` holds, `discardPending()` dropped, or an error's `dropped`. */
export interface RecordCount {
  records: number;
  points: number;
}

export type ExperimentStatus = "running" | "completed" | "failed";

/** The `code` of every error the tracker throws or rejects with. */
export type SextantErrorCode =
  | "INVALID_CONNECTION_STRING"
  | "UNKNOWN_BACKEND"
  | "NO_ACTIVE_EXPERIMENT"
  | "EXPERIMENT_NOT_FOUND"
  | "EXPERIMENT_EXISTS"
  | "EXPERIMENT_NOT_OPEN"
  | "EXPERIMENT_ENDED"
  | "INVALID_INPUT"
  | "ATTACHMENT_NOT_FOUND"
  | "TRACE_NOT_FOUND"
  | "QUOTA_EXCEEDED"
  | "CORRUPT"
  | "SNAPSHOT"
  | "STORAGE"
  /** The wasm instance trapped: its trackers stopped; `ExperimentTracker.open` starts afresh. */
  | "CRASHED";

/** Errors are plain `Error`s whose message names the bad input, plus a stable `code`. */
export interface SextantError extends Error {
  readonly code: SextantErrorCode;
  /**
   * On flush errors the store gave for good (a full store, a deleted experiment): what
   * could not be written and was dropped, so it cannot hold up later flushes.
   */
  readonly dropped?: RecordCount;
}

/** Unix nanoseconds: a bigint, a whole number, or a decimal string. */
export type UnixNanos = bigint | number | string;

export interface StartOptions {
  /** Resume this experiment if it exists, else create it with this id. Default: a new UUID. */
  experimentId?: string;
  /** Default: a generated `adjective-noun-NNN`. */
  name?: string;
  /** Default: `"default"` (created on first use). */
  group?: string;
  tags?: string[];
  description?: string;
  /** The script or page that ran. */
  source?: string;
}

/** Selects an experiment other than the current one. */
export interface ExperimentOption {
  experimentId?: string;
}

export interface StepOptions extends ExperimentOption {
  /** A whole number >= 0. Default: the next step after the key's highest (0 first). */
  step?: number | bigint;
}

export interface AttachmentOptions extends ExperimentOption {
  /** `true` requires bytes, `false` a string; default: whatever `data` is. */
  binary?: boolean;
}

export interface SeriesOptions extends ExperimentOption {
  /** Default 1000. */
  maxPoints?: number;
  fromStep?: number;
  toStep?: number;
}

export interface ExperimentUpdate {
  name?: string;
  description?: string;
  tags?: string[];
}

export interface ExperimentInfo {
  id: string;
  name: string;
  group: string;
  status: ExperimentStatus;
  tags: string[];
  /** Unix milliseconds. */
  createdAt: number;
  /** Seconds, once ended. */
  duration: number | null;
  description: string | null;
  source: string | null;
  params: Record<string, ParamValue>;
  /** Each metric's value at its highest step (NaN stays NaN). */
  metrics: Record<string, number>;
}

export interface GroupInfo {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
  experimentCount: number;
}

export interface MetricSummary {
  key: string;
  count: number;
  firstStep: number;
  lastStep: number;
  lastValue: number;
  /** Lowest and highest value, NaN left out; absent when every value is NaN or the store
   *  cannot tell cheaply (a browser store after a step was overwritten). */
  min?: number;
  max?: number;
}

export interface MetricPoint {
  step: number;
  /** NaN and ±Infinity are kept as such. */
  value: number;
  /** Unix milliseconds. */
  loggedAt: number;
}

export interface AttachmentInfo {
  /** Relative, `/`-separated. */
  name: string;
  size: number;
  createdAt: number;
}

export type SpanStatus = "unset" | "ok" | "error";

export interface SpanEventInput {
  name: string;
  timestamp: UnixNanos;
  attributes?: Record<string, JsonValue>;
}

export interface SpanLinkInput {
  traceId: string;
  spanId: string;
  traceFlags?: number | null;
  attributes?: Record<string, JsonValue>;
}

/** An OpenTelemetry-shaped span as `logSpan` takes it. */
export interface SpanInput {
  /** 32 hex digits. */
  traceId: string;
  /** 16 hex digits. */
  spanId: string;
  parentSpanId?: string | null;
  name: string;
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind?: number;
  /** luml's span type: 0 default, 1 chat, 2 agent, 3 tool, 4 embedder, 5 reranker. */
  dfsSpanType?: number;
  startTimeUnixNano: UnixNanos;
  endTimeUnixNano: UnixNanos;
  status?: SpanStatus | 0 | 1 | 2;
  statusMessage?: string | null;
  attributes?: Record<string, JsonValue>;
  events?: SpanEventInput[];
  links?: SpanLinkInput[];
  traceFlags?: number | null;
}

export interface SpanEvent {
  name: string;
  timestamp: bigint;
  attributes: Record<string, JsonValue>;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceFlags: number | null;
  attributes: Record<string, JsonValue>;
}

/** A stored span; times are exact bigint nanoseconds. */
export interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  dfsSpanType: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  status: SpanStatus;
  statusMessage: string | null;
  attributes: Record<string, JsonValue>;
  events: SpanEvent[];
  links: SpanLink[];
  traceFlags: number | null;
}

export type TraceState = "in_progress" | "ok" | "error" | "unset";

export interface TraceSummary {
  traceId: string;
  rootName: string | null;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  durationNs: bigint;
  spanCount: number;
  state: TraceState;
}

// ---- Evals and annotations ----------------------------------------------------------------

/** A JSON object (a sample's inputs, outputs, references, scores, metadata). */
export type JsonObject = { [key: string]: JsonValue };

export interface EvalSampleOptions extends ExperimentOption {
  outputs?: JsonObject;
  /** Ground truth; stored in luml's `refs` column. */
  references?: JsonObject;
  /** Numbers (booleans count as 1/0 in averages). */
  scores?: JsonObject;
  metadata?: JsonObject;
}

export type AnnotationKind = "feedback" | "expectation";
export type AnnotationValueType = "bool" | "int" | "string";

/** What `logEvalAnnotation` / `logSpanAnnotation` take; a feedback's value is a boolean. */
export interface AnnotationInput {
  name: string;
  annotationKind: AnnotationKind;
  valueType: AnnotationValueType;
  value: boolean | number | string;
  user: string;
  rationale?: string | null;
}

export interface Annotation {
  id: string;
  target: "eval" | "span";
  /** For `target: "eval"`. */
  datasetId?: string;
  evalId?: string;
  /** For `target: "span"`. */
  traceId?: string;
  spanId?: string;
  name: string;
  annotationKind: AnnotationKind;
  valueType: AnnotationValueType;
  value: boolean | number | string;
  user: string;
  rationale: string | null;
  /** Unix milliseconds. */
  createdAt: number;
}

export interface AnnotationSummary {
  feedback: { name: string; total: number; counts: Record<string, number> }[];
  expectations: { name: string; total: number; positive: number; negative: number; value: number | string | null }[];
}

export interface EvalSample {
  id: string;
  datasetId: string;
  inputs: JsonObject;
  outputs: JsonObject | null;
  refs: JsonObject | null;
  scores: JsonObject | null;
  metadata: JsonObject | null;
  /** Unix milliseconds: first logged, last logged. */
  createdAt: number;
  updatedAt: number;
  traceIds: string[];
  annotations: AnnotationSummary | null;
}

export interface EvalQueryOptions extends ExperimentOption {
  datasetId?: string;
  /** Text in the sample id or any text value. */
  search?: string;
  /** `"scores.KEY OP NUMBER"` (`<`, `<=`, `>`, `>=`, `=`, `!=`), all must hold. */
  filters?: string[];
  /** `created_at` (default), `updated_at`, `dataset_id`, `id`, `scores.KEY`, `inputs.KEY`… */
  sortBy?: string;
  /** Default `"desc"`; samples without the sort key come last descending, first ascending. */
  order?: "asc" | "desc";
  /** 1 to 1000; default 20. */
  limit?: number;
  /** The `cursor` of the previous page. */
  cursor?: string;
}

export interface EvalPage {
  items: EvalSample[];
  cursor: string | null;
  total: number;
}

export interface DatasetScores {
  /** `null` for the averages over every sample. */
  datasetId: string | null;
  samples: number;
  averages: Record<string, number>;
}

export interface EvalSummary {
  overall: DatasetScores;
  datasets: DatasetScores[];
}

// ---- Tracing -----------------------------------------------------------------------------
// Minimal structural types for the OpenTelemetry JS pieces the exporter touches, so the
// package needs no OpenTelemetry types installed; the SDK's own `ReadableSpan` (1.x and 2.x)
// and `SpanExporter` are compatible with them.

/** OpenTelemetry's `[seconds, nanoseconds]` since the unix epoch. */
export type HrTime = [number, number];

/** An OpenTelemetry attribute value (`undefined` values are dropped, array holes become null). */
export type OtelAttributeValue =
  | string
  | number
  | boolean
  | Array<null | undefined | string>
  | Array<null | undefined | number>
  | Array<null | undefined | boolean>;

export interface OtelAttributes {
  [key: string]: OtelAttributeValue | undefined;
}

export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags?: number;
}

/** The fields of an OpenTelemetry SDK `ReadableSpan` the exporter reads. */
export interface ReadableSpanLike {
  readonly name: string;
  /** OpenTelemetry `SpanKind`: 0 internal, 1 server, 2 client, 3 producer, 4 consumer. */
  readonly kind: number;
  spanContext(): OtelSpanContext;
  /** SDK 2.x. */
  readonly parentSpanContext?: OtelSpanContext;
  /** SDK 1.x. */
  readonly parentSpanId?: string;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  /** `code`: 0 unset, 1 ok, 2 error. */
  readonly status: { code: number; message?: string };
  readonly attributes: OtelAttributes;
  readonly events: ReadonlyArray<{ name: string; time: HrTime; attributes?: OtelAttributes }>;
  readonly links: ReadonlyArray<{ context: OtelSpanContext; attributes?: OtelAttributes }>;
}

/** OpenTelemetry's `ExportResult`: `code` 0 success, 1 failed. */
export interface ExportResult {
  code: 0 | 1;
  error?: Error;
}

/**
 * An OpenTelemetry JS `SpanExporter` that stores spans with `logSpan`, e.g.
 * `new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(tracker.spanExporter())] })`.
 *
 * `export` never throws. Each span is converted on its own (`SpanKind` + 1 as the OTLP kind,
 * HrTime to exact nanoseconds, `gen_ai.operation.name` / `llm.request.type` to the luml span
 * type); the ones that convert and validate are stored even when others fail. The callback
 * gets `{ code: 0 }` when every span was stored, else `{ code: 1, error }` whose message says
 * how many were stored and names each failed span (name, span id, reason).
 */
export interface TrackerSpanExporter {
  export(spans: ReadableSpanLike[], resultCallback: (result: ExportResult) => void): void;
  /** Flushes the tracker (the spans become durable); later exports fail. */
  shutdown(): Promise<void>;
  /** Flushes the tracker. */
  forceFlush(): Promise<void>;
}

/** What a `tracker.span` callback gets. */
export interface SpanHandle {
  /** 32 lowercase hex digits (empty while tracing is not enabled). */
  readonly traceId: string;
  /** 16 lowercase hex digits (empty while tracing is not enabled). */
  readonly spanId: string;
  setAttribute(key: string, value: JsonValue): SpanHandle;
  /** An event stamped now. */
  addEvent(name: string, attributes?: Record<string, JsonValue>): SpanHandle;
}

/** A tensor as `logDynamic` takes it: tfjs's `Tensor` (one element) fits. */
export interface ScalarTensorLike {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number | bigint | string | boolean | Uint8Array>;
}

/** The parts of a tfjs `LayersModel` the callback uses. */
export interface TfjsModelLike {
  toJSON(unused?: null, returnString?: boolean): unknown;
  save(handler: unknown): Promise<unknown>;
}

export interface TfjsCallbackOptions extends ExperimentOption {
  /** Default "epoch". */
  every?: "epoch" | "batch";
  /** The model being trained (tfjs does not hand it to callbacks given as objects). */
  model?: TfjsModelLike;
  /** The param key for the topology (default "model"); false: none. */
  topology?: string | boolean;
  /** Save the weights at the end of training: true (folder "model") or a folder name. */
  weights?: string | boolean;
}

/** tfjs `CustomCallbackArgs`: pass as `callbacks` to `model.fit`. */
export interface TfjsCallbacks {
  onTrainBegin(logs?: Record<string, unknown>): void;
  onBatchEnd(batch: number, logs?: Record<string, unknown>): void;
  onEpochEnd(epoch: number, logs?: Record<string, unknown>): void;
  onTrainEnd(logs?: Record<string, unknown>): Promise<void>;
}

/**
 * Connection strings: `idb://NAME` (IndexedDB, browsers and workers),
 * `localstorage://PREFIX` (browsers, ~5 MB), `memory://` (everywhere),
 * `sqlite://DIR` (Node: the luml directory layout the native store writes, `DIR` relative to
 * the working directory or absolute; the Node default is `sqlite://./experiments`).
 */
export type ConnectionString =
  | `idb://${string}`
  | `localstorage://${string}`
  | `memory://${string}`
  | `sqlite://${string}`;

/**
 * Tracks experiments into a store. Logging is synchronous and only buffers; data becomes
 * durable on `flush()`, `endExperiment()`, `failExperiment()`, within about a second on a
 * timer, and when the page is hidden or the Node process is about to exit.
 */
export declare class ExperimentTracker {
  private constructor();

  /**
   * Opens the store a connection string names. In Node, without one:
   * `sqlite://./experiments`, as natively; browsers need one.
   */
  static open(connection?: ConnectionString | string): Promise<ExperimentTracker>;

  /** The connection string the store was opened with. */
  readonly location: string;
  /** The current experiment's id, or null. */
  readonly currentExperiment: string | null;

  /** Starts (or, given an existing `experimentId`, resumes) an experiment and makes it current. */
  startExperiment(options?: StartOptions): Promise<string>;
  /**
   * Status `completed`, duration set, everything buffered made durable. If the store refused
   * some of it for good, the run still ends and the promise rejects with that error (its
   * `dropped` says what was lost); a transient failure leaves the run open to end again.
   * Afterwards, reads without an id use this experiment until another starts.
   */
  endExperiment(experimentId?: string): Promise<void>;
  /** Status `failed`, everything buffered made durable. */
  failExperiment(experimentId?: string): Promise<void>;

  /** A param; logging a key again replaces it. See `ParamInput` for what is accepted. */
  logStatic(key: string, value: ParamInput, options?: ExperimentOption): void;
  /**
   * One metric point; returns its step. Logging a (key, step) again replaces the point.
   * A one-element tensor (anything with `dataSync()`, e.g. tfjs's) counts as its number.
   */
  logDynamic(key: string, value: number | ScalarTensorLike, options?: StepOptions): number;
  /** Several metrics at one step: `logMetrics({ loss: 0.4, acc: 0.91 }, { step: 2 })`. */
  logMetrics(
    values:
      | Record<string, number | ScalarTensorLike>
      | ReadonlyMap<string, number | ScalarTensorLike>,
    options?: StepOptions,
  ): void;
  /**
   * Callbacks for TensorFlow.js training: `model.fit(x, y, { callbacks:
   * tracker.tfjsCallback({ model }) })` (`fitDataset` too). Logs tfjs's logs as metrics
   * (its `batch`/`size` bookkeeping skipped): per epoch (step = epoch), or per batch (step =
   * batches so far, with the epoch's logs as `epoch/<name>` at step = epoch). Given the
   * model, its topology becomes a param and, with `weights`, its weights attachments
   * (`<folder>/model.json` + `<folder>/weights.bin`, loadable with `tf.io.fromMemory`).
   */
  tfjsCallback(options?: TfjsCallbackOptions): TfjsCallbacks;
  /** Stores text or bytes under a relative name (subfolders allowed) at once. */
  logAttachment(
    name: string,
    data: string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob,
    options?: AttachmentOptions,
  ): Promise<void>;
  /**
   * Stores a PNG or JPEG (told apart by its first bytes; anything else rejects with
   * `INVALID_INPUT`) as `media/KEY/STEP.png` (or `.jpg`) and adds it to
   * `media/KEY/index.json`, which the dashboard's image slider reads. A step logged again
   * replaces its image.
   */
  logImage(
    key: string,
    data: Uint8Array | ArrayBuffer | ArrayBufferView | Blob,
    step: number,
    options?: ExperimentOption,
  ): Promise<void>;
  /** One OpenTelemetry-shaped span. */
  logSpan(span: SpanInput, options?: ExperimentOption): void;

  /**
   * An OpenTelemetry JS `SpanExporter` storing spans into the current experiment (or
   * `options.experimentId`). Independent of `enableTracing`.
   */
  spanExporter(options?: ExperimentOption): TrackerSpanExporter;
  /**
   * Turns on recording by `span()` for this tracker, and does nothing else: no global
   * OpenTelemetry provider is registered and no instrumentation is installed (use
   * `spanExporter()` with the OpenTelemetry SDK for that). Before it is called, `span()`
   * only runs its callback.
   */
  enableTracing(): void;
  /**
   * Runs `fn` and, once tracing is enabled, records it as a span (kind internal) of the
   * current experiment: start and end times, `attributes` plus what `fn` sets, status ok, or
   * on a throw or rejection status error with the message and an `exception` event, after
   * which the error is rethrown. A `span` called inside `fn` becomes its child, in the same
   * trace; a top-level one starts a new trace. Node follows the async call tree
   * (`AsyncLocalStorage`), so concurrent children (`Promise.all`) nest correctly; browsers
   * keep a stack of open spans, which is exact for awaited calls and best-effort for
   * concurrent ones (a span started while un-awaited siblings are open nests under the most
   * recently started one). If the span cannot be stored (say no experiment is current), a
   * successful `fn`'s result is replaced by that error; a failing `fn`'s error wins.
   */
  span<T>(
    name: string,
    fn: (span: SpanHandle) => T | PromiseLike<T>,
    attributes?: Record<string, JsonValue>,
  ): Promise<T>;

  /**
   * Makes everything logged so far durable. A transient failure (`STORAGE`; a full disk for
   * `sqlite://`) keeps the data for the next flush (see `pending()`); data the store refuses
   * for good (`QUOTA_EXCEEDED` in browsers, `EXPERIMENT_NOT_FOUND`) is written record by
   * record as far as it fits, the rest dropped, and the error's `dropped` says how much.
   */
  flush(): Promise<void>;
  /** What a transient failure left waiting for the next flush. */
  pending(): RecordCount;
  /** Gives up on what `pending()` counts; returns what was discarded. */
  discardPending(): RecordCount;
  /**
   * Gets the errors of flushes nobody awaits (the timer, a full buffer, a hidden page);
   * default (null): a console warning.
   */
  onError: ((error: SextantError) => void) | null;
  /** Flushes, then stops the timer and exit hooks; the tracker cannot be used afterwards. */
  close(): Promise<void>;

  /** Every experiment, newest first, params and latest metrics current. */
  /**
   * Every experiment, newest first; with `filter`, those the search language keeps
   * (`"metrics.val_acc > 0.9 and params.optimizer = 'adamw'"`), sorted by `orderBy`
   * (`"metrics.val_acc DESC"`). A malformed one rejects with `INVALID_INPUT` naming the column.
   */
  listExperiments(options?: { filter?: string; orderBy?: string }): Promise<ExperimentInfo[]>;
  getExperiment(experimentId?: string): Promise<ExperimentInfo>;
  listGroups(): Promise<GroupInfo[]>;
  listMetrics(experimentId?: string): Promise<MetricSummary[]>;
  /** Every point of a metric, by step. */
  getMetricHistory(key: string, options?: ExperimentOption): Promise<MetricPoint[]>;
  /** At most `maxPoints` points of a metric, downsampled keeping each bucket's extremes. */
  getMetricSeries(key: string, options?: SeriesOptions): Promise<MetricPoint[]>;
  listAttachments(experimentId?: string): Promise<AttachmentInfo[]>;
  /** The attachment's bytes; `new TextDecoder().decode(bytes)` for text. */
  getAttachment(name: string, options?: ExperimentOption): Promise<Uint8Array>;
  listTraces(experimentId?: string): Promise<TraceSummary[]>;
  /** A trace's spans by start time. */
  getTrace(traceId: string, options?: ExperimentOption): Promise<Span[]>;

  /**
   * Buffers one eval sample (luml's `log_eval_sample`); the same (dataset, id) again
   * replaces it. Stored in luml's `evals` table by `sqlite://`; the browser stores refuse
   * eval records (`INVALID_INPUT`).
   */
  logEvalSample(evalId: string, datasetId: string, inputs: JsonObject, options?: EvalSampleOptions): void;
  /** Buffers a link from a logged sample to a trace (32 hex digits); once per pair. */
  linkEvalSampleToTrace(datasetId: string, evalId: string, traceId: string, options?: ExperimentOption): void;
  /** Annotates a logged sample; resolves to what was stored. */
  logEvalAnnotation(
    datasetId: string,
    evalId: string,
    annotation: AnnotationInput,
    options?: ExperimentOption,
  ): Promise<Annotation>;
  /** Annotates a stored span; resolves to what was stored. */
  logSpanAnnotation(traceId: string, spanId: string, annotation: AnnotationInput, options?: ExperimentOption): Promise<Annotation>;
  /** Changes an annotation's value (of its type) and/or rationale. */
  updateAnnotation(
    experimentId: string,
    annotationId: string,
    target: "eval" | "span",
    changes: { value?: boolean | number | string; rationale?: string },
  ): Promise<Annotation>;
  /** Deletes an annotation; an unknown id changes nothing. */
  deleteAnnotation(experimentId: string, annotationId: string, target: "eval" | "span"): Promise<void>;
  /** One page of samples, with trace ids and annotation summaries. */
  getExperimentEvals(options?: EvalQueryOptions): Promise<EvalPage>;
  /** Score averages over every sample and per dataset. */
  getEvalSummary(experimentId?: string): Promise<EvalSummary>;
  /** Every annotation (samples and spans), by creation time. */
  listAnnotations(experimentId?: string): Promise<Annotation[]>;
  updateExperiment(experimentId: string, update: ExperimentUpdate): Promise<void>;
  /** Deletes an experiment and everything logged to it. */
  deleteExperiment(experimentId: string): Promise<void>;

  /**
   * The experiment as a luml snapshot tar (manifest.json, exp.db.zip, attachments.tar):
   * save it and run `sextant import FILE` to open a browser run natively. Loads the
   * snapshot module (SQLite) on first use.
   */
  export(experimentId?: string): Promise<Uint8Array>;

  /** Releases the wasm-side object now rather than at garbage collection. */
  free(): void;
}

/** Loads the wasm (browsers fetch it on first `open`; calling this starts that early). */
export declare function load(): Promise<void>;
