"""Run by scripts/test-python.sh in a bare venv of the oldest supported Python (3.10) with
only the built wheel installed: the abi3 wheel imports and works with no other package."""

import sys
import tempfile

import sextant
from sextant import ExperimentTracker

with tempfile.TemporaryDirectory() as d:
    with ExperimentTracker(f"sqlite://{d}") as t:
        exp = t.start_experiment(name="smoke", tags=["py%d.%d" % sys.version_info[:2]])
        t.log_static("cfg", {"lr": 0.1, "layers": [1, 2]})
        t.log_dynamics({"loss": 0.5, "acc": 0.9}, step=0)
        t.log_dynamic_array("curve", [0.1, 0.2, 0.3])
        t.log_attachment("a.txt", "x")
    t = ExperimentTracker(f"sqlite://{d}")
    (e,) = t.list_experiments()
    assert e.status == "completed" and e.static_params == {"cfg": {"lr": 0.1, "layers": [1, 2]}}, e
    assert [p["value"] for p in t.get_metric_history("curve", exp)] == [0.1, 0.2, 0.3]
    try:
        t.get_attachment("missing", exp)
    except sextant.AttachmentNotFoundError as err:
        assert err.code == "ATTACHMENT_NOT_FOUND" and isinstance(err, KeyError)
    else:
        raise AssertionError("missing attachment did not raise")
    try:
        t.enable_tracing()
    except ImportError as err:
        assert "sextant[tracing]" in str(err)
    else:
        raise AssertionError("enable_tracing without opentelemetry must say what to install")
print("wheel smoke test passed on Python %d.%d" % sys.version_info[:2])
