"""OTLP/HTTP ingest on `sextant serve`, driven by the real OpenTelemetry Python SDK and
exporter (protobuf, plain and gzip), plus OTLP JSON, malformed and oversize bodies.

Usage: test_otlp.py BASE_URL TOKEN [--bench N]
"""

import gzip
import json
import os
import sys
import time
import urllib.error
import urllib.request

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode

BASE, TOKEN = sys.argv[1], sys.argv[2]
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Recording(OTLPSpanExporter):
    """The real exporter; remembers what each export returned."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.results = []

    def export(self, spans):
        r = super().export(spans)
        self.results.append(r)
        return r


def provider(resource, compression=Compression.NoCompression, headers=None):
    exporter = Recording(
        endpoint=f"{BASE}/v1/traces",
        headers={**AUTH, **(headers or {})},
        compression=compression,
        timeout=10,
    )
    p = TracerProvider(resource=Resource.create(resource))
    p.add_span_processor(SimpleSpanProcessor(exporter))
    return p, exporter


def get(path, auth=True):
    req = urllib.request.Request(BASE + path, headers=AUTH if auth else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def post(body, ctype, extra=None, auth=True):
    headers = {"Content-Type": ctype, **(AUTH if auth else {}), **(extra or {})}
    req = urllib.request.Request(BASE + "/v1/traces", data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


def nested_trace(p, marker):
    """A root server span with a child that records an event, attributes and an error."""
    tracer = p.get_tracer("sextant.otlp.test", "1.2.3")
    with tracer.start_as_current_span(
        f"root-{marker}", kind=SpanKind.SERVER, attributes={"http.route": "/train"}
    ) as root:
        time.sleep(0.01)
        with tracer.start_as_current_span(
            "llm-call",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "tiny",
                "tokens": 42,
                "temperature": 0.5,
                "stream": False,
                "stops": ["a", "b"],
            },
        ) as child:
            child.add_event("retry", {"attempt": 2})
            time.sleep(0.02)
            child.set_status(Status(StatusCode.ERROR, "model timed out"))
        root.set_status(Status(StatusCode.OK))
        return format(root.get_span_context().trace_id, "032x")


def check_tree(exp, trace_id, marker):
    spans = get(f"/api/experiments/{exp}/traces/{trace_id}")
    assert len(spans) == 2, spans
    by_name = {s["name"]: s for s in spans}
    root, child = by_name[f"root-{marker}"], by_name["llm-call"]
    assert root["parent_span_id"] is None, root
    assert child["parent_span_id"] == root["span_id"], (child, root)
    assert root["trace_id"] == child["trace_id"] == trace_id
    assert root["kind"] == 2 and child["kind"] == 1, (root["kind"], child["kind"])
    # Timings: the child sits inside the root and lasted at least the 20 ms it slept.
    assert root["start_time_unix_nano"] <= child["start_time_unix_nano"]
    assert child["end_time_unix_nano"] <= root["end_time_unix_nano"]
    assert child["end_time_unix_nano"] - child["start_time_unix_nano"] >= 20_000_000
    assert abs(root["start_time_unix_nano"] - time.time_ns()) < 600 * 10**9
    a = child["attributes"]
    assert a["gen_ai.request.model"] == "tiny" and a["tokens"] == 42, a
    assert a["temperature"] == 0.5 and a["stream"] is False and a["stops"] == ["a", "b"], a
    assert a["otel.scope.name"] == "sextant.otlp.test" and a["otel.scope.version"] == "1.2.3"
    assert child["dfs_span_type"] == 1 and root["dfs_span_type"] == 0
    assert root["attributes"]["http.route"] == "/train"
    assert child["status"] == "error" and child["status_message"] == "model timed out", child
    assert root["status"] == "ok" and root["status_message"] is None, root
    (event,) = child["events"]
    assert event["name"] == "retry" and event["attributes"] == {"attempt": 2}, event
    assert child["start_time_unix_nano"] <= event["timestamp"] <= child["end_time_unix_nano"]
    return spans


def test_service_experiment():
    p, ex = provider({"service.name": "trainer"})
    tid = nested_trace(p, "svc")
    p.shutdown()
    assert ex.results == [SpanExportResult.SUCCESS] * 2, ex.results
    exp = get("/api/experiments/otlp-trainer")
    assert exp["name"] == "trainer" and exp["group"] == "otlp", exp
    spans = check_tree("otlp-trainer", tid, "svc")
    assert spans[0]["attributes"]["service.name"] == "trainer"
    if os.environ.get("OTLP_TRACE_FILE"):
        with open(os.environ["OTLP_TRACE_FILE"], "w") as f:
            f.write(tid)
    traces = get("/api/experiments/otlp-trainer/traces")
    assert [t["trace_id"] for t in traces] == [tid], traces
    print("ok: SDK protobuf export lands in the per-service experiment with tree, timings, attributes, events, status")


def test_routing_and_gzip():
    # A resource attribute names the experiment; gzip on the wire.
    p, ex = provider(
        {"service.name": "trainer", "sextant.experiment_id": "run-7"},
        compression=Compression.Gzip,
    )
    tid = nested_trace(p, "gz")
    p.shutdown()
    assert ex.results == [SpanExportResult.SUCCESS] * 2, ex.results
    check_tree("run-7", tid, "gz")
    # The header names it when no attribute does.
    p, ex = provider({"service.name": "other"}, headers={"x-sextant-experiment": "run-8"})
    tid8 = nested_trace(p, "hdr")
    p.shutdown()
    check_tree("run-8", tid8, "hdr")
    # A span attribute beats the header and the resource.
    p, ex = provider({"service.name": "other", "sextant.experiment_id": "run-7"},
                     headers={"x-sextant-experiment": "run-8"})
    with p.get_tracer("t").start_as_current_span("own", attributes={"sextant.experiment_id": "run-9"}) as s:
        tid9 = format(s.get_span_context().trace_id, "032x")
    p.shutdown()
    (own,) = get(f"/api/experiments/run-9/traces/{tid9}")
    assert own["name"] == "own"
    print("ok: span attribute > resource attribute > header > service.name routing; gzip bodies")


def test_deleted_experiment_is_recreated():
    p, ex = provider({"service.name": "ephemeral"})
    nested_trace(p, "first")
    req = urllib.request.Request(BASE + "/api/experiments/otlp-ephemeral", method="DELETE", headers=AUTH)
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.status == 204
    tid = nested_trace(p, "again")
    p.shutdown()
    assert ex.results == [SpanExportResult.SUCCESS] * 4, ex.results
    traces = get("/api/experiments/otlp-ephemeral/traces")
    assert [t["trace_id"] for t in traces] == [tid], traces
    print("ok: an experiment deleted while a service exports is created again")


def hexid(n, width):
    return format(n, f"0{width}x")


def test_json_and_partial_success():
    start = time.time_ns()
    tid = hexid(0xABC, 32)
    body = {
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "json-svc"}}]},
            "scopeSpans": [{
                "scope": {"name": "hand"},
                "spans": [
                    {"traceId": tid, "spanId": hexid(1, 16), "name": "root", "kind": 2,
                     "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 5_000_000),
                     "attributes": [{"key": "n", "value": {"intValue": "7"}},
                                    {"key": "blob", "value": {"bytesValue": "AAE="}}],
                     "status": {"code": 2, "message": "boom"}},
                    {"traceId": tid, "spanId": hexid(2, 16), "parentSpanId": hexid(1, 16),
                     "name": "child", "startTimeUnixNano": str(start + 1000),
                     "endTimeUnixNano": str(start + 2000),
                     "events": [{"timeUnixNano": str(start + 1500), "name": "e",
                                 "attributes": [{"key": "k", "value": {"doubleValue": 1.5}}]}]},
                    {"traceId": "00" * 16, "spanId": hexid(3, 16), "name": "zero-trace",
                     "startTimeUnixNano": "1", "endTimeUnixNano": "2"},
                    {"traceId": tid, "spanId": hexid(4, 16), "name": "backwards",
                     "startTimeUnixNano": "10", "endTimeUnixNano": "5"},
                ],
            }],
        }]
    }
    status, ctype, raw = post(json.dumps(body).encode(), "application/json")
    assert status == 200 and ctype.startswith("application/json"), (status, ctype, raw)
    resp = json.loads(raw)
    ps = resp["partialSuccess"]
    assert int(ps["rejectedSpans"]) == 2, resp
    assert "zero-trace" in ps["errorMessage"] and "trace id" in ps["errorMessage"], resp
    spans = {s["name"]: s for s in get(f"/api/experiments/otlp-json-svc/traces/{tid}")}
    assert set(spans) == {"root", "child"}, spans
    assert spans["root"]["attributes"]["n"] == 7 and spans["root"]["attributes"]["blob"] == "AAE="
    assert spans["root"]["status"] == "error" and spans["root"]["status_message"] == "boom"
    assert spans["root"]["end_time_unix_nano"] - spans["root"]["start_time_unix_nano"] == 5_000_000
    assert spans["child"]["parent_span_id"] == hexid(1, 16)
    assert spans["child"]["events"] == [{"name": "e", "timestamp": start + 1500, "attributes": {"k": 1.5}}]
    # Gzip JSON, all accepted: no partial success.
    status, _, raw = post(gzip.compress(json.dumps({"resourceSpans": [body["resourceSpans"][0] | {
        "scopeSpans": [{"spans": body["resourceSpans"][0]["scopeSpans"][0]["spans"][:1]}]}]}).encode()),
        "application/json", {"Content-Encoding": "gzip"})
    assert status == 200 and json.loads(raw).get("partialSuccess") in (None, {}), raw
    print("ok: OTLP JSON (hex ids, string int64s, bytes) with partialSuccess for 2 invalid spans; gzip JSON")


def test_protobuf_response_partial():
    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.attributes.add(key="service.name").value.string_value = "pb-svc"
    span = rs.scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.name = b"\x01" * 16, b"\x02" * 7, "short-id"
    status, ctype, raw = post(req.SerializeToString(), "application/x-protobuf")
    assert status == 200 and ctype == "application/x-protobuf", (status, ctype)
    resp = ExportTraceServiceResponse.FromString(raw)
    assert resp.partial_success.rejected_spans == 1, resp
    assert "span id" in resp.partial_success.error_message, resp
    print("ok: protobuf response carries partial_success:", resp.partial_success.error_message)


def test_bad_bodies(limit_bytes):
    def err(status, raw, want_status, *words):
        assert status == want_status, (status, raw)
        e = json.loads(raw)
        assert e["code"] and all(w in e["message"] for w in words), e
        return e

    err(*post(b"\xff\xff\xff\xff garbage", "application/x-protobuf")[::2], 400, "protobuf")
    err(*post(b"{not json", "application/json")[::2], 400, "OTLP JSON")
    err(*post(b"\x1f\x8b\x08 not gzip", "application/x-protobuf", {"Content-Encoding": "gzip"})[::2], 400, "gzip")
    err(*post(b"x", "text/plain")[::2], 415, "")
    err(*post(b"x", "application/x-protobuf", {"Content-Encoding": "br"})[::2], 415, "br")
    err(*post(b"\0" * (limit_bytes + 1), "application/x-protobuf")[::2], 413, "limit")
    bomb = gzip.compress(b"\0" * (limit_bytes * 4))
    assert len(bomb) < limit_bytes
    err(*post(bomb, "application/x-protobuf", {"Content-Encoding": "gzip"})[::2], 413, "limit")
    err(*post(b"", "application/json", {"x-sextant-experiment": "../etc"})[::2], 400, "experiment id")
    err(*post(b"{}", "application/json", auth=False)[::2], 401, "token")
    # Protobuf is accepted at /v1/traces only; the rest of the API stays JSON-only.
    req = urllib.request.Request(BASE + "/api/batch", data=b"\x0a\x00",
                                 headers={**AUTH, "Content-Type": "application/x-protobuf"})
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("protobuf to /api/batch was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 415, e.code
    # The server is still up and serving after all of that.
    assert get("/api/health")["ok"] is True
    print("ok: malformed protobuf/JSON/gzip -> 400, wrong type/encoding -> 415, oversize and gzip bomb -> 413, no token -> 401")


def null_sink():
    """A local server that reads each body and answers an empty 200: the exporter's own
    ceiling, the baseline for the server's figure."""
    import http.server
    import threading

    class Sink(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{srv.server_address[1]}"


def bench(n_batches, per_batch=100, base=None, label="sextant serve"):
    """Spans/s through the real exporter, batches of `per_batch` spans, sequential."""
    exporter = OTLPSpanExporter(endpoint=f"{base or BASE}/v1/traces", headers=AUTH, timeout=30)
    p = TracerProvider(resource=Resource.create({"service.name": "bench"}))
    tracer = p.get_tracer("bench")
    spans = []
    for i in range(n_batches * per_batch):
        s = tracer.start_span(f"op-{i % 10}", attributes={"i": i, "phase": "train"})
        s.end()
        spans.append(s)
    t0 = time.perf_counter()
    for b in range(n_batches):
        assert exporter.export(spans[b * per_batch:(b + 1) * per_batch]) == SpanExportResult.SUCCESS
    dt = time.perf_counter() - t0
    n = n_batches * per_batch
    print(f"bench ({label}): {n} spans in {n_batches} exports of {per_batch}: {n / dt:,.0f} spans/s ({dt:.2f} s)")


if __name__ == "__main__":
    if "--bench" in sys.argv:
        n = int(sys.argv[sys.argv.index("--bench") + 1])
        bench(n, base=null_sink(), label="baseline: exporter into a null Python sink")
        bench(n)
        sys.exit(0)
    limit = int(sys.argv[3])
    test_service_experiment()
    test_routing_and_gzip()
    test_deleted_experiment_is_recreated()
    test_json_and_partial_success()
    test_protobuf_response_partial()
    test_bad_bodies(limit)
    print("all OTLP checks passed")
