// Must NOT compile: the types catch what the runtime would reject.
import { ExperimentTracker } from "@sextant/tracker";

async function misuse(tracker: ExperimentTracker): Promise<void> {
  tracker.logDynamic("loss", "0.5");
  tracker.logDynamic("loss", 0.5, { stepp: 1 });
  tracker.logMetrics({ loss: "high" });
  await tracker.startExperiment({ tags: "cnn" });
  const n: number = await tracker.getExperiment();
  new ExperimentTracker();
  await tracker.span("x", (span) => span.setAttribute("k", undefined));
  tracker.spanExporter().export([{ name: "no context" }], () => {});
}
void misuse;
