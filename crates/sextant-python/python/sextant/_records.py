"""Read results in luml's shapes: dicts that also allow attribute access.

luml-sdk returns dataclasses (``exp.id``); Sextant's docs show dicts (``exp["id"]``).
A :class:`Record` is both, so code written for either keeps working.
"""

from __future__ import annotations

import dataclasses as _dc
import datetime as _dt
from typing import Any


class Record(dict):  # type: ignore[type-arg]
    """A dict whose keys are also attributes."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


class Experiment(Record):
    __slots__ = ()
    id: str
    name: str
    status: str
    created_at: _dt.datetime
    tags: list[str]
    models: list[Any]
    duration: float | None
    description: str | None
    group_id: str
    group_name: str
    group: str
    static_params: dict[str, Any]
    dynamic_params: dict[str, float]
    source: str | None
    metadata: dict[str, Any]
    upload_status: str


class ExperimentMetaData(Record):
    __slots__ = ()
    name: str
    created_at: _dt.datetime
    status: str
    group_id: str
    tags: list[str]
    duration: float | None
    description: str | None
    metadata: dict[str, Any]
    upload_status: str


class ExperimentData(Record):
    __slots__ = ()
    experiment_id: str
    metadata: ExperimentMetaData
    static_params: dict[str, Any]
    dynamic_metrics: dict[str, list[dict[str, Any]]]
    attachments: dict[str, dict[str, Any]]


class AttachmentRecord(Record):
    __slots__ = ()
    id: str | None
    name: str
    file_path: str
    created_at: _dt.datetime
    size: int | None


class Group(Record):
    __slots__ = ()
    id: str
    name: str
    description: str | None
    created_at: _dt.datetime
    tags: list[str]
    last_modified: _dt.datetime | None
    experiment_count: int


class Model(Record):
    __slots__ = ()
    id: str
    name: str
    created_at: _dt.datetime
    tags: list[str]
    path: str | None
    size: int | None
    experiment_id: str | None
    source: str | None
    description: str | None


class MetricSummary(Record):
    __slots__ = ()
    key: str
    count: int
    first_step: int
    last_step: int
    last_value: float


class SpanRecord(Record):
    __slots__ = ()
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: int
    dfs_span_type: int
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: int | None
    status_message: str | None
    attributes: dict[str, Any] | None
    events: list[dict[str, Any]] | None
    links: list[dict[str, Any]] | None
    trace_flags: int | None
    annotation_count: int


class TraceDetails(Record):
    __slots__ = ()
    trace_id: str
    spans: list[SpanRecord]


class TraceRecord(Record):
    __slots__ = ()
    trace_id: str
    execution_time: float
    span_count: int
    created_at: _dt.datetime
    state: int
    root_name: str | None
    start_time_unix_nano: int
    end_time_unix_nano: int
    evals: list[str]
    annotations: None


def when(unix_ms: int | None) -> _dt.datetime | None:
    """Unix milliseconds as an aware UTC datetime."""
    if unix_ms is None:
        return None
    return _dt.datetime.fromtimestamp(unix_ms / 1000, tz=_dt.timezone.utc)


def experiment(raw: dict[str, Any], group_ids: dict[str, str] | None = None) -> Experiment:
    """luml's ``Experiment``; ``group_id`` is the group's id (luml's), ``group_name`` its name."""
    return Experiment(
        id=raw["id"],
        name=raw["name"],
        status=raw["status"],
        created_at=when(raw["created_at"]),
        tags=list(raw["tags"]),
        models=[],
        duration=raw["duration"],
        description=raw["description"],
        group_id=(group_ids or {}).get(raw["group"], raw["group"]),
        group_name=raw["group"],
        group=raw["group"],
        static_params=raw["params"],
        dynamic_params=raw["metrics"],
        source=raw["source"],
        metadata={},
        upload_status="not_uploaded",
    )


def attachment(raw: dict[str, Any]) -> AttachmentRecord:
    return AttachmentRecord(
        id=None,
        name=raw["name"],
        file_path=raw["name"],
        created_at=when(raw["created_at"]),
        size=raw["size"],
    )


def group(raw: dict[str, Any]) -> Group:
    return Group(
        id=raw["id"],
        name=raw["name"],
        description=raw["description"],
        created_at=when(raw["created_at"]),
        tags=[],
        last_modified=None,
        experiment_count=raw["experiment_count"],
    )


def model(raw: dict[str, Any], experiment_id: str | None) -> Model:
    return Model(
        id=raw["id"],
        name=raw["name"],
        created_at=when(raw["created_at"]),
        tags=[],
        path=raw["path"],
        size=raw["size"],
        experiment_id=experiment_id,
        source=None,
        description=None,
    )


_STATUS_CODES = {"unset": 0, "ok": 1, "error": 2}


def span(raw: dict[str, Any]) -> SpanRecord:
    return SpanRecord(
        trace_id=raw["trace_id"],
        span_id=raw["span_id"],
        parent_span_id=raw.get("parent_span_id"),
        name=raw["name"],
        kind=raw.get("kind", 0),
        dfs_span_type=raw.get("dfs_span_type", 0),
        start_time_unix_nano=raw["start_time_unix_nano"],
        end_time_unix_nano=raw["end_time_unix_nano"],
        status_code=_STATUS_CODES.get(raw.get("status", "unset"), 0),
        status_message=raw.get("status_message"),
        attributes=raw.get("attributes") or None,
        events=raw.get("events") or None,
        links=raw.get("links") or None,
        trace_flags=raw.get("trace_flags"),
        annotation_count=0,
    )


# luml's TraceState numbers.
_TRACE_STATES = {"unset": 0, "ok": 1, "error": 2, "in_progress": 3}


def trace(raw: dict[str, Any]) -> TraceRecord:
    return TraceRecord(
        trace_id=raw["trace_id"],
        execution_time=raw["duration_ns"],
        span_count=raw["span_count"],
        created_at=_dt.datetime.fromtimestamp(
            raw["start_time_unix_nano"] / 1e9, tz=_dt.timezone.utc
        ),
        state=_TRACE_STATES.get(raw["state"], 0),
        root_name=raw.get("root_name"),
        start_time_unix_nano=raw["start_time_unix_nano"],
        end_time_unix_nano=raw["end_time_unix_nano"],
        evals=[],
        annotations=None,
    )


# ---- evals and annotations (luml-sdk 0.4's dataclasses, as dicts with attributes) ----


class FeedbackSummaryItem(Record):
    __slots__ = ()
    name: str
    total: int
    counts: dict[str, int]


class ExpectationSummaryItem(Record):
    __slots__ = ()
    name: str
    total: int
    positive: int
    negative: int
    value: int | str | None


class AnnotationSummary(Record):
    __slots__ = ()
    feedback: list[FeedbackSummaryItem]
    expectations: list[ExpectationSummaryItem]


class AnnotationRecord(Record):
    __slots__ = ()
    id: str
    name: str
    annotation_kind: str
    value_type: str
    value: int | bool | str
    user: str
    created_at: _dt.datetime
    rationale: str | None


class EvalRecord(Record):
    __slots__ = ()
    id: str
    dataset_id: str
    inputs: dict[str, Any]
    created_at: _dt.datetime
    updated_at: _dt.datetime
    outputs: dict[str, Any] | None
    refs: dict[str, Any] | None
    scores: dict[str, Any] | None
    metadata: dict[str, Any] | None
    trace_ids: list[str]
    annotations: AnnotationSummary | None


@_dc.dataclass
class PaginatedResponse:
    """luml's page: ``items`` and the ``cursor`` of the next page (None on the last). A
    dataclass, as in luml, so ``page.items`` is the list (not ``dict.items``)."""

    items: list[Any]
    cursor: str | None


class EvalColumns(Record):
    __slots__ = ()
    inputs: list[str]
    outputs: list[str]
    refs: list[str]
    scores: list[str]
    metadata: list[str]


def annotation_summary(raw: dict[str, Any]) -> AnnotationSummary:
    return AnnotationSummary(
        feedback=[FeedbackSummaryItem(name=f["name"], total=f["total"], counts=dict(f["counts"])) for f in raw["feedback"]],
        expectations=[
            ExpectationSummaryItem(
                name=e["name"], total=e["total"], positive=e["positive"], negative=e["negative"], value=e.get("value")
            )
            for e in raw["expectations"]
        ],
    )


def summarize_annotations(annotations: list[dict[str, Any]]) -> AnnotationSummary:
    """luml's summary of raw annotations: feedback counted per value text, expectations
    with their bool counts and the greatest non-bool value."""
    feedback: dict[str, FeedbackSummaryItem] = {}
    expect: dict[str, ExpectationSummaryItem] = {}
    best: dict[str, tuple[str, str]] = {}
    for a in annotations:
        text = _value_text(a["value"])
        if a["annotation_kind"] == "feedback":
            f = feedback.setdefault(a["name"], FeedbackSummaryItem(name=a["name"], total=0, counts={}))
            f["total"] += 1
            f["counts"][text] = f["counts"].get(text, 0) + 1
        else:
            e = expect.setdefault(
                a["name"], ExpectationSummaryItem(name=a["name"], total=0, positive=0, negative=0, value=None)
            )
            e["total"] += 1
            if a["value_type"] == "bool":
                e["positive" if a["value"] is True else "negative"] += 1
            elif a["name"] not in best or text > best[a["name"]][0]:
                best[a["name"]] = (text, a["value_type"])
    for name, (text, vt) in best.items():
        expect[name]["value"] = int(text) if vt == "int" else text
    return AnnotationSummary(
        feedback=[feedback[k] for k in sorted(feedback)],
        expectations=[expect[k] for k in sorted(expect)],
    )


def _value_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def annotation(raw: dict[str, Any]) -> AnnotationRecord:
    return AnnotationRecord(
        id=raw["id"],
        name=raw["name"],
        annotation_kind=raw["annotation_kind"],
        value_type=raw["value_type"],
        value=raw["value"],
        user=raw["user"],
        created_at=when(raw["created_at"]),
        rationale=raw.get("rationale"),
    )


def eval_record(raw: dict[str, Any]) -> EvalRecord:
    summary = raw.get("annotations")
    return EvalRecord(
        id=raw["id"],
        dataset_id=raw["dataset_id"],
        inputs=raw["inputs"],
        created_at=when(raw["created_at"]),
        updated_at=when(raw["updated_at"]),
        outputs=raw.get("outputs"),
        refs=raw.get("refs"),
        scores=raw.get("scores"),
        metadata=raw.get("metadata"),
        trace_ids=list(raw.get("trace_ids") or []),
        annotations=annotation_summary(summary) if summary else None,
    )
