// Eval samples and annotations from JS: logged into sqlite:// (luml's tables, so
// luml-sdk reads them: checked when SEXTANT_LUML_PYTHON names its Python) and memory://,
// read back field for field, paged and sorted by score; bad annotations refused.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { importPackage, installPackage } from "./support/package.mjs";

const lumlPython = process.env.SEXTANT_LUML_PYTHON;
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

let ExperimentTracker;

before(async () => {
  const { project } = installPackage();
  ({ ExperimentTracker } = await importPackage(project));
});

/** Logs a small eval session; returns the experiment id and the annotations made. */
async function session(t) {
  const id = await t.startExperiment({ name: "evals" });
  t.logSpan({ traceId: TRACE, spanId: SPAN, name: "generate", startTimeUnixNano: 1000n, endTimeUnixNano: 2000n });
  t.logEvalSample("s1", "qa", { prompt: "2+2?", n: 2 }, {
    outputs: { answer: "4" },
    references: { expected: "4" },
    scores: { acc: 1, exact: true },
    metadata: { latencyMs: 12.5 },
  });
  t.logEvalSample("s2", "qa", { prompt: "Capital of France?" }, { outputs: { answer: "Lyon" }, scores: { acc: 0 } });
  t.logEvalSample("s3", "math", { prompt: "3*3" }, { scores: { acc: 0.5 } });
  t.linkEvalSampleToTrace("qa", "s1", TRACE);
  const good = await t.logEvalAnnotation("qa", "s1", {
    name: "correct", annotationKind: "feedback", valueType: "bool", value: true, user: "alice", rationale: "right",
  });
  const stars = await t.logEvalAnnotation("qa", "s2", {
    name: "stars", annotationKind: "expectation", valueType: "int", value: 2, user: "bob",
  });
  const onSpan = await t.logSpanAnnotation(TRACE, SPAN, {
    name: "fast", annotationKind: "feedback", valueType: "bool", value: false, user: "alice",
  });
  return { id, good, stars, onSpan };
}

async function check(t, { id, good, stars, onSpan }) {
  const page = await t.getExperimentEvals({ experimentId: id, sortBy: "scores.acc", limit: 2 });
  assert.deepEqual(page.items.map((s) => s.id), ["s1", "s3"]);
  assert.equal(page.total, 3);
  assert.ok(page.cursor);
  const s1 = page.items[0];
  assert.deepEqual(
    { ...s1, createdAt: 0, updatedAt: 0 },
    {
      id: "s1",
      datasetId: "qa",
      inputs: { prompt: "2+2?", n: 2 },
      outputs: { answer: "4" },
      refs: { expected: "4" },
      scores: { acc: 1, exact: true },
      metadata: { latencyMs: 12.5 },
      createdAt: 0,
      updatedAt: 0,
      traceIds: [TRACE],
      annotations: { feedback: [{ name: "correct", total: 1, counts: { true: 1 } }], expectations: [] },
    },
  );
  assert.ok(s1.createdAt > 1.7e12 && s1.updatedAt === s1.createdAt);
  const rest = await t.getExperimentEvals({ experimentId: id, sortBy: "scores.acc", limit: 2, cursor: page.cursor });
  assert.deepEqual(rest.items.map((s) => s.id), ["s2"]);
  assert.equal(rest.cursor, null);
  const qaHigh = await t.getExperimentEvals({ experimentId: id, datasetId: "qa", filters: ["scores.acc >= 0.5"] });
  assert.deepEqual(qaHigh.items.map((s) => s.id), ["s1"]);

  const summary = await t.getEvalSummary(id);
  assert.equal(summary.overall.samples, 3);
  assert.equal(summary.overall.averages.acc, 0.5);
  assert.deepEqual(summary.datasets.map((d) => [d.datasetId, d.averages.acc]), [["math", 0.5], ["qa", 0.5]]);

  const all = await t.listAnnotations(id);
  assert.deepEqual(all.map((a) => a.id).sort(), [good.id, stars.id, onSpan.id].sort());
  assert.deepEqual(all.find((a) => a.id === good.id), good);
  assert.deepEqual(
    { ...good, id: "", createdAt: 0 },
    {
      id: "", target: "eval", datasetId: "qa", evalId: "s1", name: "correct", annotationKind: "feedback",
      valueType: "bool", value: true, user: "alice", rationale: "right", createdAt: 0,
    },
  );
  assert.equal(onSpan.traceId, TRACE);
  assert.equal(onSpan.spanId, SPAN);
}

describe("evals and annotations", () => {
  for (const kind of ["memory", "sqlite"]) {
    test(`${kind}:// keeps them field for field`, async () => {
      const dir = join(mkdtempSync(join(tmpdir(), "sextant-evals-")), "store");
      const conn = kind === "memory" ? "memory://" : `sqlite://${dir}`;
      const t = await ExperimentTracker.open(conn);
      const made = await session(t);
      await check(t, made);
      const updated = await t.updateAnnotation(made.id, made.stars.id, "eval", { value: 5, rationale: "kinder" });
      assert.deepEqual([updated.value, updated.rationale, updated.name], [5, "kinder", "stars"]);
      await t.deleteAnnotation(made.id, made.onSpan.id, "span");
      assert.equal((await t.listAnnotations(made.id)).length, 2);
      await t.endExperiment();
      await t.close();
      if (kind === "sqlite") {
        // A fresh tracker over the same directory reads the same.
        const again = await ExperimentTracker.open(conn);
        const page = await again.getExperimentEvals({ experimentId: made.id, sortBy: "id", order: "asc" });
        assert.deepEqual(page.items.map((s) => s.id), ["s1", "s2", "s3"]);
        await again.close();
        if (lumlPython) {
          const out = execFileSync(
            lumlPython,
            [
              "-c",
              `import json, sys
from luml.experiments.tracker import ExperimentTracker
t = ExperimentTracker("sqlite://" + sys.argv[1])
e = t.get_eval(sys.argv[2], "s1")
a = t.get_eval_annotations(sys.argv[2], "qa", "s2")
print(json.dumps({"inputs": e.inputs, "scores": e.scores, "traces": e.trace_ids,
                  "stars": [(x.value, x.rationale, x.user) for x in a]}))`,
              dir,
              made.id,
            ],
            { encoding: "utf8" },
          );
          assert.deepEqual(JSON.parse(out), {
            inputs: { prompt: "2+2?", n: 2 },
            scores: { acc: 1, exact: true },
            traces: [TRACE],
            stars: [[5, "kinder", "bob"]],
          });
        }
      }
    });
  }

  test("bad annotations are refused with the field named", async () => {
    const t = await ExperimentTracker.open("memory://");
    await t.startExperiment();
    t.logEvalSample("e", "d", { q: 1 });
    const ann = { name: "ok", annotationKind: "feedback", valueType: "int", value: 1, user: "u" };
    await assert.rejects(t.logEvalAnnotation("d", "e", ann), (e) => e.code === "INVALID_INPUT" && /bool/.test(e.message));
    await assert.rejects(
      t.logEvalAnnotation("d", "ghost", { ...ann, annotationKind: "expectation" }),
      (e) => e.code === "INVALID_INPUT" && /log_eval_sample/.test(e.message),
    );
    await assert.rejects(
      t.logEvalAnnotation("d", "e", { ...ann, valueType: "string" }),
      (e) => e.code === "INVALID_INPUT",
    );
    assert.throws(() => t.logEvalSample("x", "d", [1, 2]), (e) => e.code === "INVALID_INPUT");
    assert.throws(() => t.linkEvalSampleToTrace("d", "e", "nope"), (e) => e.code === "INVALID_INPUT");
    await t.endExperiment();
    await t.close();
  });
});
