"""OpenTelemetry spans into the current experiment, stored in luml's span shape.

Needs ``opentelemetry-sdk`` (``pip install sextant[tracing]``); imported only by
``enable_tracing()`` and ``span_exporter()``.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .tracker import ExperimentTracker

# luml's span types (luml.experiments.utils.SpanType), guessed from GenAI attributes.
_GEN_AI_TYPES = {"chat": 1, "invoke_agent": 2, "execute_tool": 3, "embeddings": 4}


def guess_span_type(attributes: dict[str, Any]) -> int:
    """0 default, 1 chat, 2 agent, 3 tool, 4 embedder — as luml-sdk decides it."""
    if attributes.get("llm.request.type", "") == "chat":
        return 1
    return _GEN_AI_TYPES.get(attributes.get("gen_ai.operation.name", ""), 0)


def _plain(attributes: Any) -> dict[str, Any]:
    """Attribute values as luml keeps them: scalars, lists, else their str()."""
    out: dict[str, Any] = {}
    for key, value in (attributes or {}).items():
        if isinstance(value, (str, int, float, bool)):
            out[key] = value
        elif isinstance(value, (list, tuple)):
            out[key] = list(value)
        else:
            out[key] = str(value)
    return out


def span_json(spans: list[dict[str, Any]]) -> str:
    """Spans in the core's JSON shape; non-finite floats become strings (JSON has none)."""
    return json.dumps(_finite(spans), default=str)


def _finite(v: Any) -> Any:
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return str(v)
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_finite(x) for x in v]
    return v


# OTel SDK SpanKind names -> OTLP numbers, as luml's exporter stores them.
_KINDS = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3, "PRODUCER": 4, "CONSUMER": 5}
_STATUS = {"UNSET": "unset", "OK": "ok", "ERROR": "error"}


def from_otel(span: Any) -> dict[str, Any]:
    """One ended OpenTelemetry SDK ``ReadableSpan`` as a core span dict."""
    ctx = span.context
    attributes = _plain(span.attributes)
    status = span.status
    return {
        "trace_id": f"{ctx.trace_id:032x}",
        "span_id": f"{ctx.span_id:016x}",
        "parent_span_id": f"{span.parent.span_id:016x}" if span.parent else None,
        "name": span.name,
        "kind": _KINDS.get(span.kind.name, 0),
        "dfs_span_type": guess_span_type(attributes),
        "start_time_unix_nano": span.start_time,
        "end_time_unix_nano": span.end_time if span.end_time is not None else span.start_time,
        "status": _STATUS.get(status.status_code.name, "unset") if status else "unset",
        "status_message": status.description if status else None,
        "attributes": attributes,
        "events": [
            {"name": e.name, "timestamp": e.timestamp, "attributes": _plain(e.attributes)}
            for e in span.events
        ],
        "links": [
            {
                "trace_id": f"{link.context.trace_id:032x}",
                "span_id": f"{link.context.span_id:016x}",
                "trace_flags": int(link.context.trace_flags),
                "attributes": _plain(link.attributes),
            }
            for link in span.links
        ],
        "trace_flags": int(ctx.trace_flags),
    }


def _exporter_class() -> type:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class SextantSpanExporter(SpanExporter):
        """Buffers each exported batch of spans into the tracker's current experiment."""

        def __init__(self, tracker: ExperimentTracker) -> None:
            self._tracker = weakref.ref(tracker)
            self._shutdown = False

        def export(self, spans: Sequence[Any]) -> SpanExportResult:
            tracker = self._tracker()
            if self._shutdown or tracker is None:
                return SpanExportResult.FAILURE
            if not spans:
                return SpanExportResult.SUCCESS
            try:
                tracker._log_spans(span_json([from_otel(s) for s in spans]), None)
            except Exception as e:  # an exporter must not raise into the traced code
                import warnings

                warnings.warn(f"sextant: spans not stored: {e}", stacklevel=2)
                return SpanExportResult.FAILURE
            return SpanExportResult.SUCCESS

        def shutdown(self) -> None:
            self._shutdown = True

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            tracker = self._tracker()
            if tracker is not None:
                tracker.flush()
            return True

    return SextantSpanExporter


def span_exporter(tracker: ExperimentTracker) -> Any:
    """An OpenTelemetry ``SpanExporter`` storing spans in ``tracker``'s current experiment."""
    return _exporter_class()(tracker)


def enable(tracker: ExperimentTracker) -> None:
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    except ImportError as e:
        raise ImportError(
            "enable_tracing() needs OpenTelemetry: pip install 'sextant[tracing]' "
            "(or opentelemetry-sdk)"
        ) from e
    # Export only buffers (no I/O), so the simple, synchronous processor costs little.
    processor = SimpleSpanProcessor(span_exporter(tracker))
    provider = trace.get_tracer_provider()
    if isinstance(provider, TracerProvider):
        provider.add_span_processor(processor)
        return
    provider = TracerProvider(resource=Resource.create({"service.name": "sextant"}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
