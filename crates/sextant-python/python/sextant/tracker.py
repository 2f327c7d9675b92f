"""``ExperimentTracker``: luml-sdk's tracker API, signature for signature, on Sextant's core."""

from __future__ import annotations

import array
import atexit
import os
import sys
import weakref
from pathlib import Path
from typing import Any, Literal

from . import _records
from ._evals import EvalsMixin
from ._sextant import DEFAULT_STORE, Tracker as _Tracker
from .errors import InvalidInputError, NotFoundError


class ExperimentTracker(EvalsMixin, _Tracker):
    """
    Local experiment tracking for ML experiments.

    Tracks metrics, parameters, artifacts, and traces for machine learning experiments.
    Supports multiple backend storage options via connection strings.

    Args:
        connection_string: Backend connection string. Format: 'backend://config'.
            Default is 'sqlite://./experiments' for local SQLite storage (luml-sdk's
            layout: luml and Sextant open each other's stores). Also ``memory://`` and
            ``http://host:port`` (a ``sextant serve`` server; token in SEXTANT_TOKEN).

    Logging calls only buffer (a fraction of a microsecond); a background thread makes
    the buffer durable about once a second, and ``flush()``, ``end_experiment()`` and
    ``fail_experiment()`` do it at once. ``with ExperimentTracker() as t:`` fails the
    current experiment on an exception and ends it otherwise; at interpreter exit a
    still-running current experiment is marked failed, as luml-sdk does.

    Example:
    ```python
    tracker = ExperimentTracker("sqlite://./my_experiments")
    exp_id = tracker.start_experiment(
        name="my_experiment", group="my_group", tags=["baseline"]
    )
    tracker.log_static("learning_rate", 0.001)
    tracker.log_dynamic("loss", 0.5, step=1)
    tracker.end_experiment(exp_id)
    ```
    """

    def __init__(self, connection_string: str = DEFAULT_STORE) -> None:
        # The store was opened by the Rust base class's __new__.
        self.connection_string = connection_string
        atexit.register(_fail_at_exit, weakref.ref(self))

    def __enter__(self) -> ExperimentTracker:
        return self

    def __exit__(self, exc_type: type | None, exc_val: BaseException | None, exc_tb: object) -> None:
        if self.current_experiment_id is None:
            return
        if exc_type is not None:
            try:
                self.fail_experiment()
            except Exception:  # the original exception is the one worth seeing
                pass
        else:
            self.end_experiment()

    # ---- lifecycle ----

    def start_experiment(
        self,
        name: str | None = None,
        group: str = "default",
        experiment_id: str | None = None,
        tags: list[str] | None = None,
        *,
        system_metrics: bool = False,
    ) -> str:
        """
        Starts a new experiment (or resumes the one with ``experiment_id``) and makes it
        the current one.

        Args:
            name: The name of the experiment; a random "adjective-noun-###" if not given.
            group: The group the experiment belongs to. Defaults to "default".
            experiment_id: The experiment's id; a new UUID if not given. An existing id
                resumes that experiment: metrics continue after their last steps.
            tags: Tags to associate with the experiment.
            system_metrics: Sextant's addition: log ``system/*`` metrics (CPU, memory,
                disk and network I/O, and GPUs when NVIDIA's library is present) into the
                run every few seconds until it ends. Off by default.

        Returns:
            str: The experiment ID.
        """
        return self._start(name, group, experiment_id, tags, _detect_source(), system_metrics)

    # end_experiment, fail_experiment, log_static, log_dynamic, log_dynamics, flush and
    # delete_experiment are the Rust base class's methods, called with no Python frame.

    # ---- logging ----

    def log_dynamic_array(
        self,
        key: str,
        values: Any,
        steps: Any = None,
        experiment_id: str | None = None,
    ) -> int:
        """
        Logs many points of one metric in one call: ``values`` is a numpy array, an
        ``array.array``, a memoryview or any sequence of numbers; ``steps`` (same length)
        gives their steps, else each point takes the key's next step. The values are read
        through the buffer protocol, never one Python object at a time.

        Returns:
            int: The number of points logged.
        """
        packed_values = _pack(values, "d", "values")
        packed_steps = None if steps is None else _pack(steps, "q", "steps")
        return self._log_array(key, packed_values, packed_steps, experiment_id)

    def log_span(
        self,
        trace_id: str,
        span_id: str,
        name: str,
        start_time_unix_nano: int,
        end_time_unix_nano: int,
        parent_span_id: str | None = None,
        kind: int = 0,
        status_code: int = 0,
        status_message: str | None = None,
        attributes: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
        links: list[dict[str, Any]] | None = None,
        trace_flags: int = 0,
        experiment_id: str | None = None,
    ) -> None:
        """
        Log an OpenTelemetry-compatible span to the experiment.

        ``trace_id`` is 32 hex digits, ``span_id`` and ``parent_span_id`` 16; ``kind``
        uses OTLP numbers (1 internal, 2 server, 3 client, 4 producer, 5 consumer) as
        luml's exporter stores them; ``status_code`` 0 unset, 1 ok, 2 error.
        """
        from ._tracing import guess_span_type, span_json

        spans = span_json(
            [
                {
                    "trace_id": trace_id,
                    "span_id": span_id,
                    "parent_span_id": parent_span_id,
                    "name": name,
                    "kind": kind,
                    "dfs_span_type": guess_span_type(attributes or {}),
                    "start_time_unix_nano": start_time_unix_nano,
                    "end_time_unix_nano": end_time_unix_nano,
                    "status": _STATUS_NAMES.get(status_code, "unset"),
                    "status_message": status_message,
                    "attributes": attributes or {},
                    "events": events or [],
                    "links": links or [],
                    "trace_flags": trace_flags,
                }
            ]
        )
        self._log_spans(spans, experiment_id)

    def log_attachment(
        self,
        name: str,
        data: Any,
        binary: bool = False,
        experiment_id: str | None = None,
    ) -> None:
        """
        Log files or artifacts to the experiment.

        Args:
            name: Attachment name: a relative path (subfolders allowed; absolute paths
                and ``..`` are refused).
            data: Data to attach: text, bytes (bytearray, memoryview), or a
                ``pathlib.Path`` / ``os.PathLike`` whose file is copied.
            binary: Whether data is binary (text is stored as UTF-8 either way).
            experiment_id: Experiment ID. Uses current experiment if not specified.
        """
        if isinstance(data, str):
            payload = data.encode("utf-8")
        elif isinstance(data, (bytes, bytearray, memoryview)):
            payload = bytes(data)
        elif isinstance(data, os.PathLike):
            try:
                payload = Path(data).read_bytes()
            except FileNotFoundError:
                raise InvalidInputError(
                    f"invalid attachment file {os.fspath(data)!r}: does not exist", "INVALID_INPUT"
                ) from None
        else:
            raise InvalidInputError(
                f"invalid attachment data for {name!r}: expected str, bytes or a path, "
                f"got {type(data).__name__}",
                "INVALID_INPUT",
            )
        self._log_attachment(name, payload, experiment_id)

    # ---- reads (luml's names and shapes) ----

    def list_experiments(self) -> list[_records.Experiment]:
        """
        List all experiments in the store, newest first: records with ``id``, ``name``,
        ``status`` (luml's ``active``/``completed``/``error``), ``created_at``,
        ``tags``, ``group_name``, ``static_params``, ``dynamic_params`` (latest metric
        values) and luml's other fields, readable as ``exp["id"]`` or ``exp.id``.
        Use :meth:`search_experiments` to filter and sort.
        """
        return self.search_experiments()

    def search_experiments(self, filter: str = "", order_by: str = "") -> list[_records.Experiment]:
        """
        The experiments a search-language ``filter`` keeps, sorted by ``order_by``
        (newest first when empty), as :meth:`list_experiments` returns them:
        ``search_experiments("metrics.val_acc > 0.9 and params.optimizer = 'adamw'",
        order_by="metrics.val_acc DESC")``. The language is luml's and MLflow's (see
        docs/search.md); a malformed filter raises InvalidInputError naming the column.
        """
        ids = self._group_ids()
        return [_records.experiment(e, ids) for e in self._list_experiments(filter, order_by)]

    def _group_ids(self) -> dict[str, str]:
        return {g["name"]: g["id"] for g in self._list_groups()}

    def get_experiment_record(self, experiment_id: str) -> _records.Experiment | None:
        """Experiment metadata by ID, or None if not found."""
        try:
            return _records.experiment(self._get_experiment(experiment_id), self._group_ids())
        except NotFoundError:
            return None

    def get_experiment(self, experiment_id: str) -> _records.ExperimentData | None:
        """
        Full experiment data: ``experiment_id``, ``metadata``, ``static_params``,
        ``dynamic_metrics`` (``{key: [{"value", "step"}, ...]}``) and ``attachments``
        (``{name: {"file_path", "created_at"}}``), or None if not found.
        """
        try:
            raw = self._get_experiment(experiment_id)
        except NotFoundError:
            return None
        metrics = {
            key: [{"value": v, "step": s} for s, v, _ in self._metric_history(experiment_id, key)]
            for key, *_ in self._list_metrics(experiment_id)
        }
        attachments = {
            a["name"]: {"file_path": a["name"], "created_at": _records.when(a["created_at"])}
            for a in self._list_attachments(experiment_id)
        }
        meta = _records.ExperimentMetaData(
            name=raw["name"],
            created_at=_records.when(raw["created_at"]),
            status=raw["status"],
            group_id=self._group_ids().get(raw["group"], raw["group"]),
            tags=list(raw["tags"]),
            duration=raw["duration"],
            description=raw["description"],
            metadata={},
            upload_status="not_uploaded",
        )
        return _records.ExperimentData(
            experiment_id=raw["id"],
            metadata=meta,
            static_params=raw["params"],
            dynamic_metrics=metrics,
            attachments=attachments,
        )

    def get_experiment_metric_history(self, experiment_id: str, key: str) -> list[dict[str, Any]]:
        """Every point of a metric as ``{"value", "step", "logged_at"}``, by step."""
        return self.get_metric_history(key, experiment_id)

    def get_metric_history(self, key: str, experiment_id: str | None = None) -> list[dict[str, Any]]:
        """Every point of a metric as ``{"value", "step", "logged_at"}`` (a UTC datetime), by step."""
        when = _records.when
        return [
            {"value": v, "step": s, "logged_at": when(t) if t else None}
            for s, v, t in self._metric_history(experiment_id, key)
        ]

    def get_metric_arrays(self, key: str, experiment_id: str | None = None) -> tuple[list[int], list[float]]:
        """A metric as two lists, steps and values (cheaper than dicts for long series)."""
        points = self._metric_history(experiment_id, key)
        return [p[0] for p in points], [p[1] for p in points]

    def list_metrics(self, experiment_id: str | None = None) -> list[_records.MetricSummary]:
        """The experiment's metric keys with count, first/last step and last value."""
        return [
            _records.MetricSummary(key=k, count=c, first_step=f, last_step=l, last_value=v)
            for k, c, f, l, v in self._list_metrics(experiment_id)
        ]

    def list_attachments(self, experiment_id: str | None = None) -> list[_records.AttachmentRecord]:
        """Attachment records with ``name``, ``file_path``, ``size`` and ``created_at``."""
        return [_records.attachment(a) for a in self._list_attachments(experiment_id)]

    def get_attachment(self, name: str, experiment_id: str | None = None) -> bytes:
        """An attachment's bytes; raises AttachmentNotFoundError (a KeyError) if absent."""
        return self._get_attachment(experiment_id, name)

    def list_groups(self) -> list[_records.Group]:
        """Groups with ``id``, ``name``, ``description``, ``created_at``, ``experiment_count``."""
        return [_records.group(g) for g in self._list_groups()]

    def list_traces(self, experiment_id: str | None = None) -> list[_records.TraceRecord]:
        """The experiment's traces by start time (``trace_id``, ``span_count``, ``state``...)."""
        return [_records.trace(t) for t in self._list_traces(experiment_id)]

    def get_experiment_traces_all(
        self,
        experiment_id: str,
        sort_by: str = "execution_time",
        order: Literal["asc", "desc"] = "desc",
        search: str | None = None,
        filters: list[str] | None = None,
        states: list[Any] | None = None,
    ) -> list[_records.TraceRecord]:
        """luml's trace list: sorted by ``execution_time``, ``span_count`` or
        ``created_at``; ``search`` keeps trace ids containing it, ``states`` those states.
        (luml's attribute ``filters`` language is not supported and is refused.)"""
        if filters:
            raise InvalidInputError("trace filters are not supported by Sextant; use search or states", "INVALID_INPUT")
        if sort_by not in ("execution_time", "span_count", "created_at"):
            raise InvalidInputError(
                f"invalid sort_by {sort_by!r}: expected execution_time, span_count or created_at",
                "INVALID_INPUT",
            )
        traces = self.list_traces(experiment_id)
        if search:
            traces = [t for t in traces if search in t.trace_id]
        if states:
            wanted = {int(s) for s in states}
            traces = [t for t in traces if t.state in wanted]
        traces.sort(key=lambda t: t[sort_by], reverse=order == "desc")
        return traces

    def get_trace(self, experiment_id: str, trace_id: str) -> _records.TraceDetails | None:
        """A trace with its spans (luml's SpanRecord fields), or None if not found."""
        try:
            spans = self._get_trace(experiment_id, trace_id)
        except NotFoundError:
            return None
        return _records.TraceDetails(trace_id=trace_id, spans=[_records.span(s) for s in spans])

    def list_experiment_models(self, experiment_id: str) -> list[_records.Model]:
        """Models linked to the experiment."""
        return [_records.model(m, experiment_id) for m in self._list_models(experiment_id)]

    def get_models(self, experiment_id: str | None = None) -> list[_records.Model]:
        """Models linked to the experiment (the current one by default)."""
        exp = experiment_id or self.current_experiment_id
        return [_records.model(m, exp) for m in self._list_models(experiment_id)]

    # ---- changes ----

    def update_experiment(
        self,
        experiment_id: str,
        name: str | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
    ) -> _records.Experiment | None:
        """Updates the given fields (None leaves a field alone); returns the experiment,
        or None if it does not exist."""
        try:
            self._update_experiment(experiment_id, name, description, tags)
        except NotFoundError:
            return None
        return self.get_experiment_record(experiment_id)

    # ---- models and snapshots ----

    def link_to_model(self, model_reference: Any, experiment_id: str | None = None) -> _records.Model:
        """
        Link experiment data to a saved model: ``model_reference`` is a luml
        ``ModelReference`` (or anything with ``.path``) or a path. A ``.luml`` model gets
        the experiment snapshot inside it, as luml does; any other file a sibling
        ``<file>.snapshot.tar``. The store records the link; the model record is returned.
        """
        path = getattr(model_reference, "path", model_reference)
        exp = experiment_id or self.current_experiment_id
        return _records.model(self._link_to_model(os.fspath(path), experiment_id), exp)

    def export(self, output_path: str, experiment_id: str | None = None) -> Path:
        """Writes the experiment as a luml-compatible snapshot tar; returns its path."""
        self._export(os.fspath(output_path), experiment_id)
        return Path(output_path)

    def import_experiment(self, path: str) -> str:
        """Brings a snapshot tar (from ``export`` or luml-sdk) into this store; returns
        its experiment id. Fails if the store already has that experiment."""
        return self._import(os.fspath(path))

    # ---- tracing ----

    def enable_tracing(self) -> None:
        """
        Enable OpenTelemetry tracing for the experiment: spans ended from now on are
        stored in the current experiment in luml's span shape. Needs ``opentelemetry-sdk``
        (``pip install sextant[tracing]``). If the process already has an SDK tracer
        provider, Sextant's span processor is added to it; otherwise one is installed.
        """
        from ._tracing import enable

        enable(self)


_STATUS_NAMES = {0: "unset", 1: "ok", 2: "error"}


def _detect_source() -> str | None:
    main = sys.modules.get("__main__")
    file = getattr(main, "__file__", None)
    return os.path.abspath(file) if file else None


def _fail_at_exit(ref: weakref.ReferenceType[ExperimentTracker]) -> None:
    """luml-sdk marks a still-running current experiment failed at exit; so do we."""
    tracker = ref()
    if tracker is not None and tracker.current_experiment_id is not None:
        try:
            tracker.fail_experiment()
        except Exception as e:  # exiting: report, do not raise
            print(f"sextant: failing the current experiment at exit: {e}", file=sys.stderr)


def _pack(data: Any, typecode: str, what: str) -> bytes:
    """Native-endian float64 (``d``) or int64 (``q``) bytes from any buffer or sequence."""
    np = sys.modules.get("numpy")
    if np is not None and isinstance(data, np.ndarray):
        if typecode == "q" and data.dtype.kind == "f":
            raise InvalidInputError(f"invalid {what}: steps must be integers, got {data.dtype}", "INVALID_INPUT")
        if data.ndim != 1:
            data = data.reshape(-1)
        return np.ascontiguousarray(data, dtype=np.float64 if typecode == "d" else np.int64).tobytes()
    try:
        view = memoryview(data)
    except TypeError:
        view = None
    if view is not None:
        if view.ndim != 1:
            raise InvalidInputError(f"invalid {what} for log_dynamic_array: expected 1-D, got {view.ndim}-D", "INVALID_INPUT")
        if view.c_contiguous and view.format.lstrip("@=") == typecode and view.itemsize == 8:
            return view.tobytes()
        data = view.tolist()
    try:
        return array.array(typecode, data).tobytes()
    except (TypeError, OverflowError) as e:
        raise InvalidInputError(f"invalid {what} for log_dynamic_array: {e}", "INVALID_INPUT") from None


__all__ = ["ExperimentTracker", "DEFAULT_STORE"]
