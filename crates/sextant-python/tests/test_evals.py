"""Eval samples and annotations in luml's tables: what Sextant writes luml-sdk 0.4.0 reads
field for field, and the reverse; plus the calls' own rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from pathlib import Path
from typing import Any

import pytest
from luml.experiments.tracker import ExperimentTracker as Luml

import sextant
from sextant import ExperimentTracker

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def plain(v: Any) -> Any:
    """luml's dataclasses and Sextant's records as plain values; datetimes as naive UTC to
    the millisecond (luml's sqlite3 converter gives naive datetimes), enums as their text."""
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return plain(dataclasses.asdict(v))
    if isinstance(v, enum.Enum):
        return v.value
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        v = v + dt.timedelta(microseconds=500)
        return v.replace(microsecond=v.microsecond // 1000 * 1000)
    return v


def log_evals(t: Any) -> dict[str, str]:
    """The same eval session through either API; returns the annotation ids it made."""
    t.log_span(TRACE, SPAN, "generate", 1_000, 2_000)
    t.log_eval_sample(
        "s1",
        "qa",
        {"prompt": "What is 2+2?", "n": 2},
        outputs={"answer": "4"},
        references={"expected": "4"},
        scores={"acc": 1.0, "exact": True, "tokens": 12},
        metadata={"latency_ms": 12.5, "tags": ["math", "ünï ✓"]},
    )
    t.log_eval_sample("s2", "qa", {"prompt": "Capital of France?"}, outputs={"answer": "Lyon"}, scores={"acc": 0.0})
    t.log_eval_sample("s3", "math", {"prompt": "3*3"}, scores={"acc": 0.5, "exact": False})
    t.log_eval_sample("s4", "qa", {"prompt": "bare"})
    if hasattr(t, "flush"):
        t.flush()
    t.link_eval_sample_to_trace("qa", "s1", TRACE)
    ids = {
        "good": t.log_eval_annotation("qa", "s1", "correct", "feedback", "bool", True, "alice", rationale="right").id,
        "bad": t.log_eval_annotation("qa", "s2", "correct", "feedback", "bool", False, "bob").id,
        "stars": t.log_eval_annotation("qa", "s1", "stars", "expectation", "int", 4, "alice").id,
        "answer": t.log_eval_annotation("qa", "s2", "answer", "expectation", "string", "Paris", "alice").id,
        "gone": t.log_eval_annotation("math", "s3", "correct", "feedback", "bool", True, "carol").id,
        "span": t.log_span_annotation(TRACE, SPAN, "latency_ok", "feedback", "bool", True, "alice").id,
    }
    return ids


def edit_annotations(t: Any, exp: str, ids: dict[str, str]) -> None:
    t.update_annotation(exp, ids["bad"], "eval", value=True, rationale="on review")
    t.update_annotation(exp, ids["stars"], "eval", rationale="generous")
    t.delete_annotation(exp, ids["gone"], "eval")


def read_all(t: Any, exp: str) -> dict[str, Any]:
    """Everything either API reads back about the session, in comparable form."""
    return plain(
        {
            "all": t.get_experiment_evals_all(exp),
            "by_acc": t.get_experiment_evals_all(exp, sort_by="acc", order="asc", json_sort_column="scores"),
            "page": t.get_experiment_evals(exp, limit=2, dataset_id="qa"),
            "one": t.get_eval(exp, "s1"),
            "missing": t.get_eval(exp, "nope"),
            "datasets": t.get_experiment_eval_dataset_ids(exp),
            "avg": t.get_experiment_evals_average_scores(exp),
            "avg_qa": t.get_experiment_evals_average_scores(exp, dataset_id="qa"),
            "columns": t.get_experiment_eval_columns(exp),
            "ann_s1": sorted(plain(t.get_eval_annotations(exp, "qa", "s1")), key=lambda a: a["id"]),
            "ann_s2": t.get_eval_annotations(exp, "qa", "s2"),  # by creation time, ties as logged
            "ann_s3": t.get_eval_annotations(exp, "math", "s3"),
            "ann_span": t.get_span_annotations(exp, TRACE, SPAN),
            "summary_qa": t.get_eval_annotation_summary(exp, "qa"),
            "summaries": t.get_evals_annotation_summaries(exp, ["s1", "s2", "s3"]),
            "trace_summary": t.get_trace_annotation_summary(exp, TRACE),
        }
    )


def page_cursorless(r: dict[str, Any]) -> dict[str, Any]:
    # Cursors are each store's own opaque text; whether there is a next page is shared.
    r = dict(r)
    r["page"] = {**r["page"], "cursor": r["page"]["cursor"] is not None}
    return r


def test_luml_reads_what_sextant_writes(tmp_path: Path):
    store = f"sqlite://{tmp_path}"
    t = ExperimentTracker(store)
    exp = t.start_experiment(name="evals")
    ids = log_evals(t)
    edit_annotations(t, exp, ids)
    t.end_experiment()
    ours = read_all(t, exp)
    theirs = read_all(Luml(store), exp)
    assert page_cursorless(theirs) == page_cursorless(ours)
    # What the session logged, as both read it.
    s1 = ours["one"]
    assert s1["inputs"] == {"prompt": "What is 2+2?", "n": 2}
    assert s1["refs"] == {"expected": "4"} and s1["trace_ids"] == [TRACE]
    assert s1["metadata"] == {"latency_ms": 12.5, "tags": ["math", "ünï ✓"]}
    assert [s["id"] for s in ours["by_acc"]] == ["s4", "s2", "s3", "s1"], "no score first ascending"
    assert ours["avg"] == pytest.approx({"acc": 0.5, "exact": 0.5, "tokens": 12.0})
    assert ours["ann_s2"][0]["value"] is True and ours["ann_s2"][0]["rationale"] == "on review"
    assert ours["ann_s3"] == []


def test_sextant_reads_what_luml_writes(tmp_path: Path):
    store = f"sqlite://{tmp_path}"
    luml = Luml(store)
    exp = luml.start_experiment(name="evals")
    ids = log_evals(luml)
    edit_annotations(luml, exp, ids)
    luml.end_experiment()
    theirs = read_all(luml, exp)
    t = ExperimentTracker(store)
    ours = read_all(t, exp)
    assert page_cursorless(ours) == page_cursorless(theirs)
    assert ours["summary_qa"]["feedback"] == [{"name": "correct", "total": 2, "counts": {"true": 2}}]
    # Sextant can go on annotating what luml logged, and luml sees it.
    t.log_eval_annotation("qa", "s4", "correct", "feedback", "bool", False, "dave", experiment_id=exp)
    assert [a.user for a in luml.get_eval_annotations(exp, "qa", "s4")] == ["dave"]


def test_linking_twice_keeps_one_link_where_luml_adds_a_row(tmp_path: Path):
    def script(t: Any) -> list[str]:
        exp = t.start_experiment()
        t.log_span(TRACE, SPAN, "root", 1, 2)
        t.log_eval_sample("e", "d", {"q": 1})
        t.link_eval_sample_to_trace("d", "e", TRACE)
        t.link_eval_sample_to_trace("d", "e", TRACE)
        t.end_experiment()
        return t.get_eval(exp, "e").trace_ids

    assert script(Luml(f"sqlite://{tmp_path / 'luml'}")) == [TRACE, TRACE], "luml-sdk's defect: a row per call"
    assert script(ExperimentTracker(f"sqlite://{tmp_path / 'sextant'}")) == [TRACE]


def test_bad_annotations_are_refused_before_anything_is_stored():
    t = ExperimentTracker("memory://")
    exp = t.start_experiment()
    t.log_eval_sample("e", "d", {"q": 1})
    with pytest.raises(ValueError, match="bool"):
        t.log_eval_annotation("d", "e", "ok", "feedback", "int", 1, "u")
    with pytest.raises(sextant.InvalidInputError):
        t.log_eval_annotation("d", "e", "n", "expectation", "int", True, "u")  # a bool is not an int
    with pytest.raises(sextant.InvalidInputError):
        t.log_eval_annotation("d", "e", "n", "nonsense", "int", 1, "u")
    with pytest.raises(sextant.InvalidInputError, match="log_eval_sample"):
        t.log_eval_annotation("d", "ghost", "n", "expectation", "int", 1, "u")
    with pytest.raises(sextant.InvalidInputError):
        t.link_eval_sample_to_trace("d", "e", "not-a-trace-id")
    with pytest.raises(TypeError):
        t.log_eval_sample("x", "d", {"f": object()})
    a = t.log_eval_annotation("d", "e", "n", "expectation", "int", 3, "u")
    with pytest.raises(sextant.InvalidInputError):
        t.update_annotation(exp, a.id, "eval", value="three")
    with pytest.raises(sextant.InvalidInputError):
        t.update_annotation(exp, a.id, "eval")
    with pytest.raises(sextant.InvalidInputError):
        t.update_annotation(exp, "no-such-id", "eval", rationale="x")
    t.delete_annotation(exp, "no-such-id", "eval")
    assert [(x.value, x.user) for x in t.get_eval_annotations(exp, "d", "e")] == [(3, "u")]
    assert t.get_eval(exp, "e").inputs == {"q": 1}


def test_pages_sort_and_filter_by_score():
    t = ExperimentTracker("memory://")
    exp = t.start_experiment()
    for i in range(25):
        t.log_eval_sample(f"s{i:02}", "d", {"i": i}, scores={"acc": i / 24})
    page = t.get_experiment_evals(exp, limit=10, sort_by="acc", json_sort_column="scores")
    assert [s.id for s in page.items] == [f"s{i:02}" for i in range(24, 14, -1)]
    rest = t.get_experiment_evals(exp, limit=10, cursor_str=page.cursor, sort_by="acc", json_sort_column="scores")
    assert rest.items[0].id == "s14"
    top = t.get_experiment_evals_all(exp, filters=["scores.acc >= 0.75"], order="asc", sort_by="acc")
    assert [s.id for s in top] == [f"s{i:02}" for i in range(18, 25)]
    assert t.get_experiment_evals_average_scores(exp, filters=["scores.acc >= 0.75"])["acc"] == pytest.approx(
        sum(i / 24 for i in range(18, 25)) / 7
    )
    with pytest.raises(sextant.InvalidInputError, match="scores"):
        t.get_experiment_evals(exp, filters=["metadata.x > 1"])
