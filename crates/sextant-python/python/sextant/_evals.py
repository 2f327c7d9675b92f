"""Eval samples and human annotations: luml-sdk 0.4's methods, signature for signature,
stored in luml's tables (``evals``, ``eval_traces_bridge``, ``eval_annotations``,
``span_annotations``) so luml reads what Sextant writes and the reverse."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from . import _records
from .errors import InvalidInputError

if TYPE_CHECKING:
    from ._sextant import Tracker as _Base
else:
    _Base = object


def _json(what: str, value: Any) -> Any:
    """The value as stored: a dict (luml calls ``json.dumps`` on it, so an unserialisable
    value fails here as there, with a TypeError)."""
    if value is not None and not isinstance(value, dict):
        raise InvalidInputError(f"{what} must be a dict, not {type(value).__name__}", "INVALID_INPUT")
    json.dumps(value)
    return value


class EvalsMixin(_Base):
    """The eval half of ``ExperimentTracker``."""

    def log_eval_sample(
        self,
        eval_id: str,
        dataset_id: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any] | None = None,
        references: dict[str, Any] | None = None,
        scores: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        experiment_id: str | None = None,
    ) -> None:
        """Buffers one evaluation sample; the same (dataset_id, eval_id) again replaces it.
        Empty ``outputs``/``references``/``scores``/``metadata`` are stored as none, as in
        luml."""
        sample = {
            "id": eval_id,
            "dataset_id": dataset_id,
            "inputs": _json("inputs", inputs),
            "outputs": _json("outputs", outputs) or None,
            "refs": _json("references", references) or None,
            "scores": _json("scores", scores) or None,
            "metadata": _json("metadata", metadata) or None,
        }
        self._log_eval_sample(json.dumps(sample), experiment_id)

    def link_eval_sample_to_trace(
        self,
        eval_dataset_id: str,
        eval_id: str,
        trace_id: str,
        experiment_id: str | None = None,
    ) -> None:
        """Links a logged sample to a trace (32 hex digits); linking twice keeps one link
        (luml adds a row per call)."""
        self._link_eval_sample_to_trace(eval_dataset_id, eval_id, trace_id, experiment_id)

    def _annotate(self, target: dict[str, Any], rest: dict[str, Any], experiment_id: str | None) -> _records.AnnotationRecord:
        spec = {**target, **rest}
        return _records.annotation(self._log_annotation(json.dumps(spec), experiment_id))

    def log_eval_annotation(
        self,
        dataset_id: str,
        eval_id: str,
        name: str,
        annotation_kind: str,
        value_type: str,
        value: int | bool | str,
        user: str,
        rationale: str | None = None,
        experiment_id: str | None = None,
    ) -> _records.AnnotationRecord:
        """Annotates a logged sample: ``annotation_kind`` ``'feedback'`` (``value_type``
        must be ``'bool'``) or ``'expectation'``; ``value`` of ``value_type`` (``'bool'``,
        ``'int'``, ``'string'``). Written at once; returns the stored record."""
        return self._annotate(
            {"target": "eval", "dataset_id": dataset_id, "eval_id": eval_id},
            _annotation_fields(name, annotation_kind, value_type, value, user, rationale),
            experiment_id,
        )

    def log_span_annotation(
        self,
        trace_id: str,
        span_id: str,
        name: str,
        annotation_kind: str,
        value_type: str,
        value: int | bool | str,
        user: str,
        rationale: str | None = None,
        experiment_id: str | None = None,
    ) -> _records.AnnotationRecord:
        """Annotates a stored span, as ``log_eval_annotation`` does a sample."""
        return self._annotate(
            {"target": "span", "trace_id": trace_id, "span_id": span_id},
            _annotation_fields(name, annotation_kind, value_type, value, user, rationale),
            experiment_id,
        )

    def update_annotation(
        self,
        experiment_id: str,
        annotation_id: str,
        target: Literal["eval", "span"],
        value: int | bool | str | None = None,
        rationale: str | None = None,
    ) -> _records.AnnotationRecord:
        """Changes an annotation's value and/or rationale (at least one); the value keeps
        the annotation's type. Returns the updated record."""
        value_json = None if value is None else json.dumps(value)
        return _records.annotation(self._update_annotation(experiment_id, annotation_id, target, value_json, rationale))

    def delete_annotation(self, experiment_id: str, annotation_id: str, target: Literal["eval", "span"]) -> None:
        """Deletes an annotation; an unknown id changes nothing."""
        self._delete_annotation(experiment_id, annotation_id, target)

    def _raw_annotations(self, experiment_id: str) -> list[dict[str, Any]]:
        return list(self._annotations(experiment_id))

    def get_eval_annotations(self, experiment_id: str, dataset_id: str, eval_id: str) -> list[_records.AnnotationRecord]:
        """A sample's annotations by creation time."""
        return [
            _records.annotation(a)
            for a in self._raw_annotations(experiment_id)
            if a.get("target") == "eval" and a.get("dataset_id") == dataset_id and a.get("eval_id") == eval_id
        ]

    def get_span_annotations(self, experiment_id: str, trace_id: str, span_id: str) -> list[_records.AnnotationRecord]:
        """A span's annotations by creation time."""
        return [
            _records.annotation(a)
            for a in self._raw_annotations(experiment_id)
            if a.get("target") == "span" and a.get("trace_id") == trace_id and a.get("span_id") == span_id
        ]

    def get_eval_annotation_summary(self, experiment_id: str, dataset_id: str) -> _records.AnnotationSummary:
        """A dataset's sample annotations counted by name."""
        return _records.summarize_annotations(
            [a for a in self._raw_annotations(experiment_id) if a.get("target") == "eval" and a.get("dataset_id") == dataset_id]
        )

    def get_evals_annotation_summaries(self, experiment_id: str, eval_ids: list[str]) -> dict[str, _records.AnnotationSummary]:
        """Per eval id, its annotations counted by name (ids without any are left out)."""
        return self._summaries_by(experiment_id, "eval", "eval_id", eval_ids)

    def get_trace_annotation_summary(self, experiment_id: str, trace_id: str) -> _records.AnnotationSummary:
        """A trace's span annotations counted by name."""
        return _records.summarize_annotations(
            [a for a in self._raw_annotations(experiment_id) if a.get("target") == "span" and a.get("trace_id") == trace_id]
        )

    def get_traces_annotation_summaries(self, experiment_id: str, trace_ids: list[str]) -> dict[str, _records.AnnotationSummary]:
        """Per trace id, its span annotations counted by name (ids without any are left out)."""
        return self._summaries_by(experiment_id, "span", "trace_id", trace_ids)

    def _summaries_by(
        self, experiment_id: str, target: str, field: str, ids: list[str]
    ) -> dict[str, _records.AnnotationSummary]:
        """Annotations on `target` whose `field` is one of `ids`, counted by name per id."""
        wanted = set(ids)
        by: dict[str, list[dict[str, Any]]] = {}
        for a in self._raw_annotations(experiment_id):
            if a.get("target") == target and a.get(field) in wanted:
                by.setdefault(a[field], []).append(a)
        return {k: _records.summarize_annotations(v) for k, v in by.items()}

    def get_all_traces_annotation_summary(self, experiment_id: str) -> _records.AnnotationSummary:
        """Every span annotation of the experiment counted by name."""
        return _records.summarize_annotations([a for a in self._raw_annotations(experiment_id) if a.get("target") == "span"])

    # ---- reading samples ----

    def get_experiment_evals(
        self,
        experiment_id: str,
        limit: int = 20,
        cursor_str: str | None = None,
        sort_by: str = "created_at",
        order: Literal["asc", "desc"] = "desc",
        dataset_id: str | None = None,
        json_sort_column: str | None = None,
        search: str | None = None,
        filters: list[str] | None = None,
    ) -> _records.PaginatedResponse:
        """A page of samples with trace ids and annotation summaries. ``sort_by``:
        ``created_at``, ``updated_at``, ``dataset_id``, a key of a JSON column (with
        ``json_sort_column``, or found in the columns as luml resolves it); ``search``:
        text in the id or any text value; ``filters``: ``scores.KEY OP NUMBER``."""
        key = f"{json_sort_column}.{sort_by}" if json_sort_column else sort_by
        page = self._eval_page(
            experiment_id,
            {
                "limit": limit,
                "cursor": cursor_str,
                "sort_by": key,
                "order": order,
                "dataset_id": dataset_id,
                "search": search,
                "filter": " and ".join(filters or []),
            },
        )
        return _records.PaginatedResponse(items=[_records.eval_record(s) for s in page["items"]], cursor=page.get("cursor"))

    def get_experiment_evals_all(
        self,
        experiment_id: str,
        sort_by: str = "created_at",
        order: Literal["asc", "desc"] = "desc",
        dataset_id: str | None = None,
        json_sort_column: str | None = None,
        search: str | None = None,
        filters: list[str] | None = None,
    ) -> list[_records.EvalRecord]:
        """Every sample, sorted and filtered as ``get_experiment_evals``."""
        out: list[_records.EvalRecord] = []
        cursor = None
        while True:
            page = self.get_experiment_evals(
                experiment_id, 1000, cursor, sort_by, order, dataset_id, json_sort_column, search, filters
            )
            out.extend(page.items)
            cursor = page.cursor
            if cursor is None:
                return out

    def get_eval(self, experiment_id: str, eval_id: str) -> _records.EvalRecord | None:
        """A sample by id (the first dataset holding it), or None."""
        for s in self._evals_all(experiment_id):
            if s["id"] == eval_id:
                rec = _records.eval_record(s)
                rec["annotations"] = None
                return rec
        return None

    def get_experiment_eval_dataset_ids(self, experiment_id: str) -> list[str]:
        """The samples' dataset ids, sorted."""
        return sorted({s["dataset_id"] for s in self._evals_all(experiment_id)})

    def get_experiment_eval_columns(self, experiment_id: str, dataset_id: str | None = None) -> _records.EvalColumns:
        """The keys found in each JSON column of the samples, sorted."""
        cols: dict[str, set[str]] = {c: set() for c in ("inputs", "outputs", "refs", "scores", "metadata")}
        for s in self._evals_all(experiment_id):
            if dataset_id is not None and s["dataset_id"] != dataset_id:
                continue
            for c, keys in cols.items():
                keys.update((s.get(c) or {}).keys())
        return _records.EvalColumns(**{c: sorted(k) for c, k in cols.items()})

    def get_experiment_evals_average_scores(
        self,
        experiment_id: str,
        dataset_id: str | None = None,
        search: str | None = None,
        filters: list[str] | None = None,
    ) -> dict[str, float]:
        """The mean of each numeric score (booleans as 1/0) over the samples of one
        dataset or all, optionally narrowed by ``search`` and ``filters``."""
        if search or filters:
            samples = self.get_experiment_evals_all(experiment_id, dataset_id=dataset_id, search=search, filters=filters)
            sums: dict[str, list[float]] = {}
            for s in samples:
                for k, v in (s.scores or {}).items():
                    if isinstance(v, (int, float)):
                        sums.setdefault(k, []).append(float(v))
            return {k: sum(v) / len(v) for k, v in sums.items()}
        summary = self._eval_summary(experiment_id)
        if dataset_id is None:
            return dict(summary["overall"]["averages"])
        for d in summary["datasets"]:
            if d["dataset_id"] == dataset_id:
                return dict(d["averages"])
        return {}


def _annotation_fields(
    name: str, annotation_kind: str, value_type: str, value: Any, user: str, rationale: str | None
) -> dict[str, Any]:
    if annotation_kind == "feedback" and value_type != "bool":
        raise InvalidInputError("Feedback annotations must use value_type='bool'", "INVALID_INPUT")
    return {
        "name": name,
        "annotation_kind": str(annotation_kind),
        "value_type": str(value_type),
        "value": value,
        "user": user,
        "rationale": rationale,
    }
