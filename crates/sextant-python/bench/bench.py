"""Sextant's Python package against luml-sdk 0.4.0, same machine, same run, SQLite stores.

Reports microseconds per call and durable points per second (the clock stops after the
final flush / end, when every point is on disk). Run with scripts/bench-python.sh.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


LAST_CPU = [0.0]


def timed(fn) -> float:
    """Wall seconds of fn(); the process's CPU seconds (all threads, the flusher too) go
    to LAST_CPU, a figure a busy shared machine distorts less than wall time."""
    start, start_cpu = time.perf_counter(), time.process_time()
    fn()
    LAST_CPU[0] = time.process_time() - start_cpu
    return time.perf_counter() - start


def with_cpu(result: dict, points: int) -> dict:
    result["points_per_cpu_s"] = points / LAST_CPU[0] if LAST_CPU[0] else float("inf")
    return result


def python_loop_overhead(n: int) -> float:
    """The same loop calling a no-op lambda: what any Python call costs on this machine."""
    values = [0.5] * 1000

    def run():
        noop = lambda key, value, step: None  # noqa: E731
        for i in range(n):
            noop("loss", values[i % 1000], i)

    return timed(run) / n


def sextant_log_dynamic(root: Path, n: int) -> dict:
    from sextant import ExperimentTracker

    t = ExperimentTracker(f"sqlite://{root / 'sextant-scalar'}")
    t.start_experiment(name="bench-scalar")
    log = t.log_dynamic
    values = [0.5] * 1000
    buffered = 0.0

    cpu = 0.0

    def run():
        nonlocal buffered, cpu
        start, start_cpu = time.perf_counter(), time.thread_time()
        for i in range(n):
            log("loss", values[i % 1000], i)
        buffered, cpu = time.perf_counter() - start, time.thread_time() - start_cpu
        t.end_experiment()

    total = timed(run)
    return with_cpu(
        {
            "us_per_call": buffered / n * 1e6,
            "cpu_us_per_call": cpu / n * 1e6,
            "durable_points_per_s": n / total,
        },
        n,
    )


def sextant_log_dynamic_auto_step(root: Path, n: int) -> dict:
    from sextant import ExperimentTracker

    t = ExperimentTracker(f"sqlite://{root / 'sextant-auto'}")
    t.start_experiment(name="bench-auto")
    log = t.log_dynamic
    total = timed(lambda: ([log("loss", 0.5) for _ in range(n)], t.end_experiment()))
    return with_cpu({"durable_points_per_s": n / total, "us_per_call_incl_flush": total / n * 1e6}, n)


def sextant_log_dynamics(root: Path, n: int, keys: int = 4) -> dict:
    from sextant import ExperimentTracker

    t = ExperimentTracker(f"sqlite://{root / 'sextant-dict'}")
    t.start_experiment(name="bench-dict")
    log = t.log_dynamics
    row = {f"m{k}": 0.5 for k in range(keys)}
    total = timed(lambda: ([log(row, step=i) for i in range(n)], t.end_experiment()))
    return with_cpu(
        {"us_per_call_incl_flush": total / n * 1e6, "durable_points_per_s": n * keys / total, "keys_per_call": keys},
        n * keys,
    )


def sextant_log_dynamic_array(root: Path, n: int) -> dict:
    from sextant import ExperimentTracker

    t = ExperimentTracker(f"sqlite://{root / 'sextant-array'}")
    t.start_experiment(name="bench-array")
    values = np.random.default_rng(0).random(n)
    total = timed(lambda: (t.log_dynamic_array("loss", values), t.end_experiment()))
    return with_cpu({"durable_points_per_s": n / total}, n)


def luml_log_dynamic(root: Path, n: int) -> dict:
    from luml.experiments.tracker import ExperimentTracker

    t = ExperimentTracker(f"sqlite://{root / 'luml'}")
    t.start_experiment(name="bench-luml")
    log = t.log_dynamic

    def run():
        for i in range(n):
            log("loss", 0.5, step=i)  # every call commits: durable when it returns
        t.end_experiment()

    total = timed(run)
    return with_cpu({"us_per_call": total / n * 1e6, "durable_points_per_s": n / total}, n)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--points", type=int, default=2_000_000, help="points for Sextant's scalar runs")
    ap.add_argument("--array-points", type=int, default=10_000_000)
    ap.add_argument("--luml-points", type=int, default=3_000)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import os

    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    root = Path(tempfile.mkdtemp(prefix="sextant-bench-"))
    try:
        results = {
            "python_loop_overhead_us": python_loop_overhead(args.points) * 1e6,
            "sextant log_dynamic (explicit step)": sextant_log_dynamic(root, args.points),
            "sextant log_dynamic (auto step)": sextant_log_dynamic_auto_step(root, args.points),
            "sextant log_dynamics (4 keys)": sextant_log_dynamics(root, args.points // 4),
            "sextant log_dynamic_array": sextant_log_dynamic_array(root, args.array_points),
            "luml-sdk 0.4.0 log_dynamic": luml_log_dynamic(root, args.luml_points),
        }
    finally:
        shutil.rmtree(root, ignore_errors=True)
    ours = results["sextant log_dynamic (explicit step)"]["durable_points_per_s"]
    theirs = results["luml-sdk 0.4.0 log_dynamic"]["durable_points_per_s"]
    results["speedup_log_dynamic_vs_luml"] = ours / theirs
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"python loop + call overhead (a no-op lambda): {results['python_loop_overhead_us']:.3f} us/call")
    for name, r in results.items():
        if isinstance(r, dict):
            cells = ", ".join(f"{k}={v:,.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
            print(f"{name:40s} {cells}")
    print(f"log_dynamic durable throughput vs luml-sdk: {results['speedup_log_dynamic_vs_luml']:,.0f}x")


if __name__ == "__main__":
    main()
