"""Several threads logging at once; a process killed mid-run keeps what it flushed."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import textwrap
import threading
import time

from conftest import luml_view

from sextant import ExperimentTracker


def test_threads_logging_at_once(tmp_path):
    t = ExperimentTracker(f"sqlite://{tmp_path}")
    exp = t.start_experiment(name="threads")
    n, threads = 20_000, 8
    errors: list[BaseException] = []
    stop = threading.Event()

    def worker(i: int) -> None:
        try:
            for step in range(n):
                t.log_dynamic(f"worker{i}", float(step), step=step)
                if step % 1000 == 0:
                    t.log_dynamics({"shared/a": step, "shared/b": -step}, step=i * n + step)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    def flusher() -> None:
        while not stop.is_set():
            t.flush()  # store writes release the GIL: loggers keep running meanwhile

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    side = threading.Thread(target=flusher)
    side.start()
    for th in pool:
        th.start()
    for th in pool:
        th.join(timeout=120)
    stop.set()
    side.join(timeout=30)
    assert not errors
    t.end_experiment()
    for i in range(threads):
        steps, values = t.get_metric_arrays(f"worker{i}", exp)
        assert steps == list(range(n)) and values == [float(s) for s in range(n)]
    assert len(t.get_metric_history("shared/a", exp)) == threads * (n // 1000)


KILLED = """
    import sys
    from sextant import ExperimentTracker
    t = ExperimentTracker(sys.argv[1])
    exp = t.start_experiment(name="killed")
    t.log_static("lr", 0.1)
    t.log_attachment("notes.md", "# before the kill")
    for step in range(5000):
        t.log_dynamic("loss", 1.0 / (step + 1))
    t.flush()
    print(exp, flush=True)
    step = 5000
    while True:  # until killed: keeps logging and flushing
        t.log_dynamic("loss", 1.0 / (step + 1))
        step += 1
        if step % 997 == 0:
            t.flush()
"""


def test_sigkill_keeps_everything_up_to_the_last_flush(tmp_path):
    store = tmp_path / "store"
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED), f"sqlite://{store}"], stdout=subprocess.PIPE, text=True
    )
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=60)
        exp = proc.stdout.readline().strip() if ready else ""
        assert exp, "the child never reached its first flush"
        time.sleep(0.5)  # let it log and flush a while longer, then kill it mid-run
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    t = ExperimentTracker(f"sqlite://{store}")
    record = t.get_experiment_record(exp)
    assert record.status == "active", "a killed run stays running (luml: active), readable"
    steps, values = t.get_metric_arrays("loss", exp)
    assert len(steps) >= 5000
    assert steps == list(range(len(steps))), "what survived is a prefix: no holes"
    assert values == [1.0 / (s + 1) for s in steps]
    assert t.get_experiment(exp).static_params == {"lr": 0.1}
    assert t.get_attachment("notes.md", exp) == b"# before the kill"
    # luml-sdk reads the killed run too (the store is not left corrupt)
    seen = luml_view(store)[exp]
    assert len(seen["metrics"]["loss"]) == len(steps)
