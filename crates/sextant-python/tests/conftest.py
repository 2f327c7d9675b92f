"""Shared helpers: run scripts in fresh interpreters, and read a store through luml-sdk
and through Sextant into one comparable shape."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "luml-0.4"


@pytest.fixture
def fixture_store(tmp_path: Path) -> Path:
    """A writable copy of the store luml-sdk 0.4.0 wrote (tests/fixtures/luml-0.4)."""
    dst = tmp_path / "luml-store"
    shutil.copytree(FIXTURE / "store", dst)
    return dst


def run_script(code: str, cwd: Path, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    """Runs Python code in a fresh interpreter (atexit and global OTel state per run)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"script failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def norm(v):
    """Metric values compared across libraries: luml reads NaN back as None (SQLite NULL)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "nan"
    return float(v)


def _span_view(s) -> tuple:
    return (
        s.span_id,
        s.parent_span_id,
        s.name,
        s.kind,
        s.dfs_span_type,
        s.start_time_unix_nano,
        s.end_time_unix_nano,
        s.status_code,
        s.attributes or {},
        [(e["name"], e.get("attributes") or {}) for e in (s.events or [])],
    )


def luml_view(store: Path) -> dict:
    """Everything in a store as luml-sdk 0.4.0 reads it."""
    from luml.experiments.tracker import ExperimentTracker as Luml

    t = Luml(f"sqlite://{store}")
    groups = {g.id: g.name for g in t.list_groups()}
    out = {}
    for e in t.list_experiments():
        data = t.get_experiment(e.id)
        traces = {}
        for tr in t.get_experiment_traces_all(e.id):
            details = t.get_trace(e.id, tr.trace_id)
            traces[tr.trace_id] = sorted(_span_view(s) for s in details.spans)
        out[e.id] = {
            "name": e.name,
            "status": e.status,
            "group": groups.get(e.group_id, e.group_id),
            "tags": list(e.tags),
            "params": dict(data.static_params),
            "metrics": {
                k: [(p["step"], norm(p["value"])) for p in pts] for k, pts in data.dynamic_metrics.items()
            },
            "attachments": {a.name: t.get_attachment(a.name, e.id) for a in t.list_attachments(e.id)},
            "traces": traces,
        }
    t.current_experiment_id = None
    return out


def sextant_view(store: Path) -> dict:
    """Everything in a store as Sextant's Python package reads it."""
    from sextant import ExperimentTracker

    t = ExperimentTracker(f"sqlite://{store}")
    out = {}
    for e in t.list_experiments():
        data = t.get_experiment(e["id"])
        traces = {}
        for tr in t.get_experiment_traces_all(e["id"]):
            details = t.get_trace(e["id"], tr.trace_id)
            traces[tr.trace_id] = sorted(_span_view(s) for s in details.spans)
        out[e["id"]] = {
            "name": e["name"],
            "status": e["status"],
            "group": e["group_name"],
            "tags": list(e["tags"]),
            "params": dict(data.static_params),
            "metrics": {
                k: [(p["step"], norm(p["value"])) for p in pts] for k, pts in data.dynamic_metrics.items()
            },
            "attachments": {a.name: t.get_attachment(a.name, e["id"]) for a in t.list_attachments(e["id"])},
            "traces": traces,
        }
    return out


def sextant_bin() -> str:
    path = os.environ.get("SEXTANT_BIN")
    if not path or not Path(path).exists():
        pytest.skip("SEXTANT_BIN (the sextant binary) not set: run scripts/test-python.sh")
    return path
