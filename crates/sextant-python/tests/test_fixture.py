"""The store and snapshot luml-sdk 0.4.0 wrote (tests/fixtures/luml-0.4), read by Sextant."""

from __future__ import annotations

import json
import math

from conftest import FIXTURE, luml_view, sextant_view

import sextant

EXPECTED = json.loads((FIXTURE / "EXPECTED.json").read_text())["experiments"]


def test_fixture_reads_as_luml_reads_it(fixture_store):
    ours = sextant_view(fixture_store)
    assert ours == luml_view(fixture_store)
    assert len(ours) == 3


def test_fixture_values_match_what_was_logged(fixture_store):
    t = sextant.ExperimentTracker(f"sqlite://{fixture_store}")
    listed = {e.id: e for e in t.list_experiments()}
    for want in EXPECTED:
        e = listed[want["id"]]
        assert (e.name, e.group_name, e.tags, e.status) == (want["name"], want["group"], want["tags"], want["status"])
        data = t.get_experiment(want["id"])
        assert data.static_params == want["params"]
        for key, count in want["metric_counts"].items():
            assert len(t.get_metric_history(key, want["id"])) == count
        assert sorted(a.name for a in t.list_attachments(want["id"])) == sorted(want["attachments"])
        (trace,) = t.list_traces(want["id"])
        assert trace.trace_id == want["trace_id"] and trace.span_count == want["span_count"]
        assert len(t.get_trace(want["id"], want["trace_id"]).spans) == want["span_count"]
        special = t.get_metric_history("special", want["id"])
        assert special[0]["value"] == math.inf and special[1]["value"] == -1.5


def test_luml_snapshot_imports(tmp_path):
    t = sextant.ExperimentTracker(f"sqlite://{tmp_path / 'store'}")
    exp_id = t.import_experiment(FIXTURE / "snapshot.tar")
    want = next(e for e in EXPECTED if e["id"] == exp_id)
    assert t.get_experiment(exp_id).static_params == want["params"]
    assert len(t.get_metric_history("train/loss", exp_id)) == want["metric_counts"]["train/loss"]
    assert t.get_attachment("notes.md", exp_id).startswith(b"#")


def test_export_round_trips_through_import(tmp_path, fixture_store):
    t = sextant.ExperimentTracker(f"sqlite://{fixture_store}")
    exp_id = EXPECTED[0]["id"]
    path = t.export(tmp_path / "run.tar", experiment_id=exp_id)
    assert path.stat().st_size > 0
    other = sextant.ExperimentTracker(f"sqlite://{tmp_path / 'other'}")
    assert other.import_experiment(path) == exp_id
    before, after = sextant_view(fixture_store)[exp_id], sextant_view(tmp_path / "other")[exp_id]
    assert after == before
    try:
        other.import_experiment(path)
    except sextant.ExperimentExistsError as e:
        assert e.code == "EXPERIMENT_EXISTS"
    else:
        raise AssertionError("importing the same experiment twice must fail")
