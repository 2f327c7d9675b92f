"""Sextant: a local-first ML experiment tracker with luml-sdk's ``ExperimentTracker`` API.

```python
from sextant import ExperimentTracker

with ExperimentTracker("sqlite://./experiments") as tracker:
    tracker.start_experiment(name="baseline", group="mnist", tags=["cnn"])
    tracker.log_static("lr", 1e-3)
    for step in range(1000):
        tracker.log_dynamic("train/loss", 1 / (step + 1))
```
"""

from typing import Any

from ._sextant import DEFAULT_STORE, __version__
from .errors import (
    AttachmentNotFoundError,
    CorruptStoreError,
    ExperimentExistsError,
    ExperimentNotFoundError,
    ExperimentStateError,
    InvalidConnectionError,
    InvalidInputError,
    InvalidTypeError,
    NoActiveExperimentError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    ReadOnlyError,
    SextantError,
    SnapshotError,
    StorageError,
    TraceNotFoundError,
    UnavailableError,
)
from .tracker import ExperimentTracker


def span_exporter(tracker: ExperimentTracker) -> Any:  # an OTel SpanExporter
    """An OpenTelemetry ``SpanExporter`` for ``tracker`` (needs ``sextant[tracing]``)."""
    from ._tracing import span_exporter as make

    return make(tracker)


__all__ = [
    "DEFAULT_STORE",
    "AttachmentNotFoundError",
    "CorruptStoreError",
    "ExperimentExistsError",
    "ExperimentNotFoundError",
    "ExperimentStateError",
    "ExperimentTracker",
    "InvalidConnectionError",
    "InvalidInputError",
    "InvalidTypeError",
    "NoActiveExperimentError",
    "NotFoundError",
    "PermissionDeniedError",
    "ReadOnlyError",
    "UnavailableError",
    "QuotaExceededError",
    "SextantError",
    "SnapshotError",
    "StorageError",
    "TraceNotFoundError",
    "__version__",
    "span_exporter",
]
