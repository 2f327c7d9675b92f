"""OpenTelemetry spans into the current experiment, in luml's span shape."""

from __future__ import annotations

from conftest import luml_view, run_script, sextant_view
from luml.experiments.tracker import ExperimentTracker as Luml

import sextant

TRACED = """
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
{setup}
from sextant import ExperimentTracker
tracker = ExperimentTracker("sqlite://./store")
tracker.enable_tracing()
exp = tracker.start_experiment(name="traced")
tracer = trace.get_tracer("test")
with tracer.start_as_current_span("pipeline", kind=trace.SpanKind.SERVER) as root:
    with tracer.start_as_current_span("tool", attributes={{"gen_ai.operation.name": "execute_tool", "k": [1, 2]}}) as child:
        child.set_status(Status(StatusCode.ERROR, "boom"))
        child.add_link(root.get_span_context(), {{"why": "retry"}})
tracker.end_experiment()
print(exp)
"""


def test_spans_land_in_luml_shape(tmp_path):
    exp = run_script(TRACED.format(setup=""), tmp_path).stdout.strip()
    view = luml_view(tmp_path / "store")
    assert view == sextant_view(tmp_path / "store")
    (spans,) = view[exp]["traces"].values()
    by_name = {s[2]: s for s in spans}
    root, tool = by_name["pipeline"], by_name["tool"]
    assert root[1] is None and tool[1] == root[0]
    assert root[3] == 2, "SpanKind.SERVER is stored as OTLP's 2, as luml's exporter does"
    assert tool[3] == 1 and tool[4] == 3, "internal kind; an execute_tool span is luml type 3"
    assert tool[7] == 2 and tool[8] == {"gen_ai.operation.name": "execute_tool", "k": [1, 2]}
    luml = Luml(f"sqlite://{tmp_path / 'store'}")
    (trace_rec,) = luml.get_experiment_traces_all(exp)
    (tool_rec,) = [s for s in luml.get_trace(exp, trace_rec.trace_id).spans if s.name == "tool"]
    assert tool_rec.status_message == "boom"
    assert tool_rec.links[0]["span_id"] == root[0] and tool_rec.links[0]["attributes"] == {"why": "retry"}


def test_enable_tracing_joins_an_existing_provider(tmp_path):
    setup = (
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "mine = InMemorySpanExporter()\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(mine))\n"
        "trace.set_tracer_provider(provider)\n"
    )
    script = TRACED.format(setup=setup) + "assert len(mine.get_finished_spans()) == 2\n"
    exp = run_script(script, tmp_path).stdout.strip()
    t = sextant.ExperimentTracker(f"sqlite://{tmp_path / 'store'}")
    (trace_rec,) = t.list_traces(exp)
    assert trace_rec.span_count == 2 and trace_rec.root_name == "pipeline"


def test_batch_processor_with_span_exporter(tmp_path):
    script = """
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
import sextant
t = sextant.ExperimentTracker("sqlite://./store")
exp = t.start_experiment()
provider = TracerProvider()
provider.add_span_processor(BatchSpanProcessor(sextant.span_exporter(t)))
tracer = provider.get_tracer("x")
for i in range(50):
    with tracer.start_as_current_span(f"step{i}", attributes={"i": i, "nan": float("nan")}):
        pass
provider.force_flush()
print(exp)
"""
    exp = run_script(script, tmp_path).stdout.strip()
    t = sextant.ExperimentTracker(f"sqlite://{tmp_path / 'store'}")
    traces = t.list_traces(exp)
    assert len(traces) == 50
    (span,) = t.get_trace(exp, traces[0].trace_id).spans
    assert span.attributes["nan"] == "nan", "a NaN attribute is kept as text (JSON has no NaN)"


def test_log_span_matches_luml(tmp_path):
    def log(t):
        exp = t.start_experiment()
        t.log_span(
            trace_id="0af7651916cd43dd8448eb211c80319c",
            span_id="b7ad6b7169203331",
            name="data_preprocessing",
            start_time_unix_nano=1_700_000_000_000_000_000,
            end_time_unix_nano=1_700_000_000_500_000_000,
            kind=1,
            status_code=1,
            attributes={"input_rows": 1000, "llm.request.type": "chat"},
            events=[{"name": "loaded", "timestamp": 1_700_000_000_100_000_000, "attributes": {"n": 1}}],
        )
        t.end_experiment()
        return exp

    ids = {}
    for name, cls in (("luml", Luml), ("sextant", sextant.ExperimentTracker)):
        ids[name] = log(cls(f"sqlite://{tmp_path / name}"))
    ours = sextant_view(tmp_path / "sextant")[ids["sextant"]]["traces"]
    theirs = luml_view(tmp_path / "luml")[ids["luml"]]["traces"]
    assert ours == theirs
    (spans,) = ours.values()
    assert spans[0][4] == 1, "llm.request.type=chat is a chat span"
