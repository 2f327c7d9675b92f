"""The same call sequences, good and bad, against luml-sdk 0.4.0 and Sextant.

Where luml-sdk has a known defect Sextant documents the correct behaviour instead, and the
test asserts both: luml's defect (so the test notices if luml fixes it) and Sextant's fix.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from luml.experiments.tracker import ExperimentTracker as Luml

import sextant


def outcome(fn):
    """("ok", value) or ("error", the built-in exception classes it is an instance of)."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        kinds = tuple(k.__name__ for k in (ValueError, KeyError, TypeError) if isinstance(e, k))
        return ("error", kinds or (type(e).__name__,))


def both(tmp_path: Path, script):
    results = {}
    for name, cls in (("luml", Luml), ("sextant", sextant.ExperimentTracker)):
        t = cls(f"sqlite://{tmp_path / name}")
        results[name] = script(t)
        if t.current_experiment_id:
            t.end_experiment()
    return results["luml"], results["sextant"]


def test_calls_without_an_active_experiment_fail_alike(tmp_path):
    def script(t):
        return [
            outcome(lambda: t.log_static("lr", 0.1)),
            outcome(lambda: t.log_dynamic("loss", 0.5)),
            outcome(lambda: t.log_attachment("a.txt", "x")),
            outcome(lambda: t.get_attachment("a.txt")),
            outcome(lambda: t.list_attachments()),
            outcome(lambda: t.end_experiment()),
            outcome(lambda: t.fail_experiment()),
            outcome(lambda: t.export("x.tar")),
        ]

    luml, ours = both(tmp_path, script)
    assert luml == ours
    assert all(r == ("error", ("ValueError",)) for r in luml)


def test_good_calls_return_alike(tmp_path):
    def script(t):
        exp = t.start_experiment(name="run", group="g", tags=["a", "b"])
        out = [
            t.log_static("lr", 0.001),
            t.log_static("layers", [64, 32]),
            t.log_static("cfg", {"act": "relu", "drop": 0.1}),
            t.log_static("amp", True),
            t.log_static("opt", "adam"),
            t.log_static("bs", 32),
            t.log_dynamic("loss", 0.5, step=0),
            t.log_dynamic("loss", 0.25, step=5),
            t.log_dynamic("loss", 0.3, step=5),  # same step: replaced
            t.log_attachment("notes/a.md", "# hi"),
            t.log_attachment("b.bin", b"\x00\xff", binary=True),
            t.get_attachment("b.bin"),
            sorted(a.name for a in t.list_attachments()),
        ]
        data = t.get_experiment(exp)
        out += [data.static_params, data.dynamic_metrics, data.metadata.name, data.metadata.tags]
        out.append([(p["step"], p["value"]) for p in t.get_experiment_metric_history(exp, "loss")])
        rec = t.get_experiment_record(exp)
        out += [rec.name, rec.tags, rec.status]
        t.end_experiment(exp)
        out.append(t.get_experiment_record(exp).status)
        out.append(t.get_experiment("nope"))
        out.append(t.get_experiment_record("nope"))
        out.append(t.current_experiment_id)
        return out

    luml, ours = both(tmp_path, script)
    assert ours == luml


def test_bad_values_fail_alike(tmp_path):
    def script(t):
        t.start_experiment(name="bad")
        return [
            outcome(lambda: t.log_dynamic("loss", "abc")),
            outcome(lambda: t.log_static("obj", object())),
            outcome(lambda: t.log_attachment("a.txt", 12)),
            outcome(lambda: t.get_attachment("missing.txt")),
            outcome(lambda: t.log_static("k", 1, experiment_id="no-such-experiment")),
            outcome(lambda: t.log_dynamic("k", 1.0, experiment_id="no-such-experiment")),
            outcome(lambda: t.get_attachment("a", experiment_id="no-such-experiment")),
        ]

    luml, ours = both(tmp_path, script)
    # luml raises TypeError for unserialisable params, ValueError for the rest; Sextant's
    # InvalidTypeError is both, and its not-found errors are ValueErrors too (and KeyErrors).
    for theirs, mine in zip(luml, ours):
        assert theirs[0] == mine[0] == "error"
        assert set(theirs[1]) <= set(mine[1]), (theirs, mine)


def test_connection_strings_fail_alike():
    for bad in ("no-scheme", "zzz://x"):
        assert outcome(lambda: Luml(bad)) == outcome(lambda: sextant.ExperimentTracker(bad)) == ("error", ("ValueError",))


def test_auto_step_counts_up_where_luml_overwrites_step_zero(tmp_path):
    def script(t):
        exp = t.start_experiment()
        for v in (1.0, 2.0, 3.0):
            t.log_dynamic("loss", v)
        return [(p["step"], p["value"]) for p in t.get_experiment_metric_history(exp, "loss")]

    luml, ours = both(tmp_path, script)
    assert luml == [(0, 3.0)], "luml-sdk's defect: `(max or -1) + 1` sends every point to step 0"
    assert ours == [(0, 1.0), (1, 2.0), (2, 3.0)]


def test_nan_and_inf_are_kept_where_luml_reads_nan_as_none(tmp_path):
    def script(t):
        exp = t.start_experiment()
        for step, v in enumerate((math.nan, math.inf, -math.inf, 1.5)):
            t.log_dynamic("m", v, step=step)
        t.log_static("p_nan", math.nan)
        t.log_static("p_inf", math.inf)
        return [p["value"] for p in t.get_experiment_metric_history(exp, "m")], t.get_experiment(exp).static_params

    (luml, luml_params), (ours, our_params) = both(tmp_path, script)
    assert luml == [None, math.inf, -math.inf, 1.5], "luml-sdk's defect: NaN comes back as None"
    assert math.isnan(ours[0]) and ours[1:] == [math.inf, -math.inf, 1.5]
    assert luml_params["p_inf"] == our_params["p_inf"] == math.inf
    assert math.isnan(luml_params["p_nan"]) and math.isnan(our_params["p_nan"])


@pytest.mark.parametrize("name", ["../escape.txt", "../../escape.txt", "a/../../escape.txt"])
def test_traversal_names_are_refused_where_luml_writes_outside(tmp_path, name):
    def script(t):
        t.start_experiment()
        return outcome(lambda: t.log_attachment(name, "owned"))

    luml, ours = both(tmp_path, script)
    assert luml == ("ok", None)
    escaped = [p for p in tmp_path.rglob("escape.txt") if "attachments" not in p.relative_to(tmp_path).parts[-2:]]
    assert [p.relative_to(tmp_path).parts[0] for p in escaped] == ["luml"], "luml-sdk's defect: the file escapes"
    assert ours == ("error", ("ValueError",))


def test_absolute_attachment_names_are_refused_before_writing(tmp_path):
    target = tmp_path / "abs.txt"

    def script(t):
        t.start_experiment()
        return outcome(lambda: t.log_attachment(str(target), "owned"))

    luml, ours = both(tmp_path, script)
    assert luml == ("error", ("ValueError",)) and target.exists(), "luml raises, but only after writing"
    target.unlink()
    assert ours == ("error", ("ValueError",))
    assert not target.exists()


def test_sextant_refuses_logging_to_an_ended_experiment(tmp_path):
    """luml-sdk keeps writing into an ended run; Sextant says it ended, and resumes it
    when asked to (start_experiment with its id)."""
    t = sextant.ExperimentTracker(f"sqlite://{tmp_path}")
    exp = t.start_experiment()
    t.log_dynamic("loss", 1.0)
    t.end_experiment()
    with pytest.raises(sextant.ExperimentStateError) as err:
        t.log_dynamic("loss", 2.0, experiment_id=exp)
    assert "ended" in str(err.value)
    assert t.start_experiment(experiment_id=exp) == exp
    t.log_dynamic("loss", 2.0)
    t.end_experiment()
    assert [(p["step"], p["value"]) for p in t.get_metric_history("loss", exp)] == [(0, 1.0), (1, 2.0)]
