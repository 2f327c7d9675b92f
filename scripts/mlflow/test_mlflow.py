"""The real MLflow client against `sextant serve`: a training script, then every value read
back through MlflowClient, Sextant's CLI and Sextant's JSON API.

Usage: test_mlflow.py URL TOKEN STORE SEXTANT_BIN
       test_mlflow.py --bench URL [TOKEN] --points N   (log_batch throughput, prints points/s)
"""

import json
import math
import os
import subprocess
import sys
import tempfile
import time
import urllib.request


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def bench(url, token, points):
    import mlflow
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    os.environ["MLFLOW_TRACKING_URI"] = url
    if token:
        os.environ["MLFLOW_TRACKING_TOKEN"] = token
    client = MlflowClient()
    exp = client.create_experiment(f"bench-{time.time_ns()}")
    run = client.create_run(exp)
    rid = run.info.run_id
    now = int(time.time() * 1000)
    per_call = 1000  # MLflow's own log_batch limit on metrics per request
    batches = [
        [Metric("loss", 1.0 / (i + 1), now + i, i) for i in range(s, min(s + per_call, points))]
        for s in range(0, points, per_call)
    ]
    t0 = time.perf_counter()
    for b in batches:
        client.log_batch(rid, metrics=b)
    dt = time.perf_counter() - t0
    hist = client.get_metric_history(rid, "loss")
    check(len(hist) == points, f"bench: {len(hist)} points read back, {points} logged")
    # The same log-batch requests as prebuilt JSON bodies: what the server itself takes,
    # without the client's per-metric protobuf and JSON work.
    raw = client.create_run(exp).info.run_id
    bodies = [
        json.dumps({"run_id": raw, "metrics": [
            {"key": "loss", "value": m.value, "timestamp": m.timestamp, "step": m.step} for m in b
        ]}).encode()
        for b in batches
    ]
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    for body in bodies:
        req = urllib.request.Request(f"{url}/api/2.0/mlflow/runs/log-batch", data=body, headers=headers)
        with urllib.request.urlopen(req) as r:
            r.read()
    raw_dt = time.perf_counter() - t0
    check(len(client.get_metric_history(raw, "loss")) == points, "bench: raw points read back")
    print(json.dumps({"points": points, "seconds": dt, "points_per_s": points / dt,
                      "raw_seconds": raw_dt, "raw_points_per_s": points / raw_dt}))


def main():
    url, token, store, sextant = sys.argv[1:5]
    os.environ["MLFLOW_TRACKING_URI"] = url
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient()

    # --- the training script -------------------------------------------------------------
    exp_id = mlflow.set_experiment("mlflow-compat").experiment_id
    check(mlflow.set_experiment("mlflow-compat").experiment_id == exp_id, "set_experiment twice")
    work = tempfile.mkdtemp()
    notes = os.path.join(work, "notes.txt")
    with open(notes, "w") as f:
        f.write("trained on 3 shards\n")
    logged = {}
    with mlflow.start_run(run_name="parent") as parent:
        pid = parent.info.run_id
        mlflow.log_params({"lr": "0.01", "optimizer": "adamw", "epochs": 5})
        accs = [0.2, 0.45, 0.6, 0.72, 0.81]
        t_before = int(time.time() * 1000)
        for step, acc in enumerate(accs):
            mlflow.log_metric("acc", acc, step=step)
        mlflow.log_metrics({"loss": 0.31, "val/loss": 0.4}, step=4)
        mlflow.log_metric("nan_metric", float("nan"), step=1)
        mlflow.set_tags({"team": "vision", "priority": "high"})
        mlflow.set_tag("mlflow.note.content", "the baseline sweep")
        mlflow.log_artifact(notes)
        mlflow.log_artifact(notes, artifact_path="docs/sub")
        mlflow.log_dict({"layers": [64, 32], "act": "relu"}, "config/model.json")
        mlflow.log_text("hello sextant", "hello.txt")
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots()
        ax.plot(range(len(accs)), accs)
        mlflow.log_figure(fig, "plots/acc.png")
        from mlflow.data.http_dataset_source import HTTPDatasetSource
        from mlflow.data.meta_dataset import MetaDataset
        dataset = MetaDataset(HTTPDatasetSource("https://example.com/train.csv"), name="train-shards")
        mlflow.log_input(dataset, context="training")
        logged["parent"] = pid
        for i, lr in enumerate(["0.01", "0.1"]):
            with mlflow.start_run(run_name=f"child-{i}", nested=True) as child:
                mlflow.log_param("lr", lr)
                mlflow.log_metric("acc", 0.55 + 0.3 * i, step=0)
                logged[f"child-{i}"] = child.info.run_id
    with mlflow.start_run(run_name="low") as low:
        mlflow.log_param("lr", "0.01")
        mlflow.log_metric("acc", 0.3)
        logged["low"] = low.info.run_id
    # Resuming a finished run: it is running again until it ends again.
    with mlflow.start_run(run_id=logged["low"]):
        check(client.get_run(logged["low"]).info.status == "RUNNING", "resumed")
        mlflow.log_metric("acc", 0.35, step=1)
    mlflow.start_run(run_name="failed-one")
    failed_id = mlflow.active_run().info.run_id
    mlflow.end_run(status="FAILED")

    # --- read back through the MLflow client ---------------------------------------------
    run = client.get_run(pid)
    check(run.info.status == "FINISHED", f"status {run.info.status}")
    check(run.info.run_name == "parent", run.info.run_name)
    check(run.info.end_time is not None and run.info.end_time >= run.info.start_time, "end time")
    check(run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri)
    check(run.data.params == {"lr": "0.01", "optimizer": "adamw", "epochs": "5"}, run.data.params)
    check(run.data.metrics["acc"] == 0.81, run.data.metrics)
    check(run.data.metrics["loss"] == 0.31 and run.data.metrics["val/loss"] == 0.4, run.data.metrics)
    check(math.isnan(run.data.metrics["nan_metric"]), run.data.metrics)
    tags = run.data.tags
    check(tags["team"] == "vision" and tags["priority"] == "high", tags)
    check(tags["mlflow.runName"] == "parent", tags)
    check(tags["mlflow.note.content"] == "the baseline sweep", tags)
    check("mlflow.user" in tags and "mlflow.source.name" in tags, tags)
    check(client.get_run(failed_id).info.status == "FAILED", "failed status")
    child0 = client.get_run(logged["child-0"])
    check(child0.data.tags["mlflow.parentRunId"] == pid, child0.data.tags)

    history = client.get_metric_history(pid, "acc")
    check([m.step for m in history] == list(range(5)), [m.step for m in history])
    check([m.value for m in history] == accs, [m.value for m in history])
    # The SQLite store keeps times to within a second between the first and last point.
    for m in history:
        check(t_before - 1000 <= m.timestamp <= int(time.time() * 1000) + 1000, m.timestamp)

    found = client.search_runs(
        [exp_id],
        filter_string="metrics.acc > 0.5 and params.lr = '0.01'",
        order_by=["metrics.acc DESC"],
    )
    names = [r.info.run_name for r in found]
    check(names == ["parent", "child-0"], names)
    kids = client.search_runs([exp_id], filter_string=f"tags.mlflow.parentRunId = '{pid}'",
                              order_by=["attributes.run_name"])
    check([r.info.run_name for r in kids] == ["child-0", "child-1"], [r.info.run_name for r in kids])
    by_name = client.search_runs([exp_id], filter_string="tags.mlflow.runName = 'low'")
    check([r.info.run_id for r in by_name] == [logged["low"]], by_name)
    check(by_name[0].data.metrics == {"acc": 0.35} and by_name[0].info.status == "FINISHED", by_name[0])
    check([m.value for m in client.get_metric_history(logged["low"], "acc")] == [0.3, 0.35], "resumed history")
    fin = client.search_runs([exp_id], filter_string="attributes.status = 'FAILED'")
    check([r.info.run_id for r in fin] == [failed_id], fin)
    # Paging: 2 per page over all 5 runs, newest first, no duplicates.
    seen, token_ = [], None
    for _ in range(10):
        page = client.search_runs([exp_id], max_results=2, page_token=token_)
        seen += [r.info.run_id for r in page]
        token_ = page.token
        if not token_:
            break
    check(len(seen) == 5 and len(set(seen)) == 5, seen)
    all_runs = mlflow.search_runs([exp_id], output_format="list")
    check(len(all_runs) == 5, len(all_runs))

    # Artifacts.
    arts = sorted(a.path for a in client.list_artifacts(pid))
    check(arts == ["config", "docs", "hello.txt", "notes.txt", "plots"], arts)
    sub = [(a.path, a.is_dir) for a in client.list_artifacts(pid, "docs")]
    check(sub == [("docs/sub", True)], sub)
    out = mlflow.artifacts.download_artifacts(run_id=pid, dst_path=os.path.join(work, "dl"))
    with open(os.path.join(out, "notes.txt")) as f:
        check(f.read() == "trained on 3 shards\n", "notes")
    with open(os.path.join(out, "docs", "sub", "notes.txt")) as f:
        check(f.read() == "trained on 3 shards\n", "nested notes")
    check(mlflow.artifacts.load_dict(f"runs:/{pid}/config/model.json") == {"layers": [64, 32], "act": "relu"}, "dict")
    check(mlflow.artifacts.load_text(f"runs:/{pid}/hello.txt") == "hello sextant", "text")
    with open(os.path.join(out, "plots", "acc.png"), "rb") as f:
        check(f.read(8) == b"\x89PNG\r\n\x1a\n", "figure is a PNG")
    inputs = client.get_run(pid).inputs.dataset_inputs
    check([(d.dataset.name, d.dataset.digest) for d in inputs] == [("train-shards", dataset.digest)], inputs)
    check([(t.key, t.value) for t in inputs[0].tags] == [("mlflow.data.context", "training")], inputs[0].tags)

    # Tags: delete, rename, experiment lifecycle.
    client.delete_tag(pid, "priority")
    check("priority" not in client.get_run(pid).data.tags, "deleted tag")
    client.set_tag(logged["low"], "mlflow.runName", "renamed-low")
    check(client.get_run(logged["low"]).info.run_name == "renamed-low", "rename")
    client.delete_run(failed_id)
    check(client.get_run(failed_id).info.lifecycle_stage == "deleted", "deleted run")
    check(len(client.search_runs([exp_id])) == 4, "deleted runs are hidden")
    client.restore_run(failed_id)
    check(len(client.search_runs([exp_id])) == 5, "restored")
    other = client.create_experiment("scratch", tags={"owner": "ml"})
    check(client.get_experiment(other).tags == {"owner": "ml"}, client.get_experiment(other).tags)
    client.rename_experiment(other, "scratch-2")
    check(client.get_experiment_by_name("scratch-2").experiment_id == other, "renamed experiment")
    client.delete_experiment(other)
    check(client.get_experiment(other).lifecycle_stage == "deleted", "deleted experiment")
    names = [e.name for e in client.search_experiments()]
    check("mlflow-compat" in names and "scratch-2" not in names, names)
    client.restore_experiment(other)
    check("scratch-2" in [e.name for e in client.search_experiments(filter_string="name LIKE 'scratch%'")], "restored experiment")

    # Errors: the client's own exceptions with MLflow's codes.
    try:
        client.get_run("0" * 32)
        raise AssertionError("unknown run did not raise")
    except MlflowException as e:
        check(e.error_code == "RESOURCE_DOES_NOT_EXIST", e.error_code)
        check("0" * 32 in e.message, e.message)
    try:
        client.search_runs([exp_id], filter_string="metrics.acc > ")
        raise AssertionError("bad filter did not raise")
    except MlflowException as e:
        check(e.error_code == "INVALID_PARAMETER_VALUE", e.error_code)
        check("expected" in e.message and "column" in e.message, e.message)
    try:
        client.log_param(pid, "lr", "0.5")
        raise AssertionError("changing a param did not raise")
    except MlflowException as e:
        check(e.error_code == "INVALID_PARAMETER_VALUE", e.error_code)
    check(client.get_experiment_by_name("no-such-experiment") is None, "missing by name")
    os.environ["MLFLOW_TRACKING_TOKEN"] = "wrong"
    try:
        MlflowClient().get_run(pid)
        raise AssertionError("a wrong token did not raise")
    except MlflowException as e:
        check(e.error_code == "UNAUTHENTICATED", e.error_code)
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    try:
        client.create_experiment("mlflow-compat")
        raise AssertionError("duplicate experiment did not raise")
    except MlflowException as e:
        check(e.error_code == "RESOURCE_ALREADY_EXISTS", e.error_code)

    # --- the same values through Sextant's JSON API and CLI ------------------------------
    def api(path):
        req = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    info = api(f"/api/experiments/{pid}")
    check(info["name"] == "parent" and info["status"] == "completed", info)
    check(info["group"] == "mlflow-compat", info["group"])
    check(info["params"]["lr"] == {"type": "str", "value": "0.01"}, info["params"])
    check(info["params"]["tags#team"]["value"] == "vision", info["params"])
    check(info["metrics"]["acc"] == 0.81, info["metrics"])
    check(info["description"] == "the baseline sweep", info)
    series = api(f"/api/experiments/{pid}/metrics/acc?raw=1")
    check([p["value"] for p in series["points"]] == accs, series)
    names = sorted(a["name"] for a in api(f"/api/experiments/{pid}/attachments"))
    check(names == ["config/model.json", "docs/sub/notes.txt", "hello.txt", "notes.txt",
                    "plots/acc.png"], names)
    listed = api("/api/experiments?filter=" + urllib.parse.quote("tags.team = 'vision'"))
    check([e["id"] for e in listed["experiments"]] == [pid], listed)

    def cli(*args):
        return subprocess.run([sextant, "--store", store, "--json", *args], check=True,
                              capture_output=True, text=True).stdout

    pts = json.loads(cli("metrics", pid, "acc"))
    pts = pts["points"] if isinstance(pts, dict) else pts
    check([p["value"] for p in pts] == accs, pts)
    check([p["step"] for p in pts] == list(range(5)), pts)
    rows = json.loads(cli("ls", "--filter", "metrics.acc > 0.5 and params.lr = '0.01'",
                          "--order-by", "metrics.acc DESC"))
    rows = rows["experiments"] if isinstance(rows, dict) else rows
    check([r["name"] for r in rows] == ["parent", "child-0"], rows)
    print("mlflow client: all checks passed")


if __name__ == "__main__" and not sys.argv[1].startswith("--import"):
    if sys.argv[1] == "--bench":
        url = sys.argv[2]
        token = sys.argv[3] if sys.argv[3] != "--points" else ""
        bench(url, token, int(sys.argv[-1]))
    else:
        main()


def import_write(folder):
    """Writes an MLflow SQLite store with the real client (artifacts in folder/mlruns)."""
    import mlflow

    os.chdir(folder)
    mlflow.set_tracking_uri(f"sqlite:///{folder}/mlflow.db")
    mlflow.set_experiment("imported")
    with mlflow.start_run(run_name="imp-parent") as p:
        mlflow.log_params({"lr": "0.03", "layers": "4"})
        for step in range(20):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("loss", 0.5, step=3)  # a second value at one step: the last wins
        mlflow.set_tags({"team": "speech", "mlflow.note.content": "imported note"})
        mlflow.log_dict({"k": [1, 2]}, "cfg/params.json")
        mlflow.log_text("imported text", "readme.txt")
        with mlflow.start_run(run_name="imp-child", nested=True):
            mlflow.log_metric("acc", 0.9, step=0)
    with mlflow.start_run(run_name="imp-failed"):
        mlflow.log_param("seed", "7")
    mlflow.end_run()
    client = mlflow.MlflowClient()
    failed = client.search_runs([p.info.experiment_id], "attributes.run_name = 'imp-failed'")[0]
    client.set_terminated(failed.info.run_id, "FAILED")
    empty = client.create_experiment("empty-one", tags={"k": "v"})
    client.delete_experiment(empty)


def same(a, b):
    """Equality that takes NaN as equal to NaN (lists and dicts of floats)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def import_check(db_uri, url, token):
    """Every run, param, tag, metric history and artifact read from the MLflow store equals
    what Sextant serves after the import."""
    os.environ["MLFLOW_TRACKING_TOKEN"] = token
    from mlflow.entities import ViewType
    from mlflow.tracking import MlflowClient

    src, dst = MlflowClient(tracking_uri=db_uri), MlflowClient(tracking_uri=url)
    exps = {e.name: e for e in src.search_experiments(view_type=ViewType.ALL)}
    got = {e.name: e for e in dst.search_experiments(view_type=ViewType.ALL)}
    theirs, ours = [], []
    for name, e in exps.items():
        if name == "Default":
            name = "default"  # MLflow's Default experiment is Sextant's default group
        check(name in got, (name, sorted(got)))
        if e.experiment_id != "0":
            check(got[name].lifecycle_stage == e.lifecycle_stage, (name, e.lifecycle_stage))
            check(got[name].tags == e.tags, (name, e.tags, got[name].tags))
        theirs += src.search_runs([e.experiment_id], run_view_type=ViewType.ALL)
        ours += dst.search_runs([got[name].experiment_id], run_view_type=ViewType.ALL)
    check(sorted(r.info.run_id for r in theirs) == sorted(r.info.run_id for r in ours),
          (len(theirs), len(ours)))
    work = tempfile.mkdtemp()
    for a in theirs:
        b = dst.get_run(a.info.run_id)
        for f in ("run_name", "status", "start_time", "end_time", "user_id", "lifecycle_stage"):
            check(getattr(a.info, f) == getattr(b.info, f), (f, getattr(a.info, f), getattr(b.info, f)))
        check(a.data.params == b.data.params, (a.data.params, b.data.params))
        check(same(a.data.metrics, b.data.metrics), (a.data.metrics, b.data.metrics))
        check(a.data.tags == b.data.tags, (a.data.tags, b.data.tags))
        for key in a.data.metrics:
            ha = {m.step: (m.value, m.timestamp) for m in src.get_metric_history(a.info.run_id, key)}
            hb = [(m.step, m.value) for m in dst.get_metric_history(a.info.run_id, key)]
            # MLflow keeps every value at a step; the last one logged is what Sextant keeps.
            check(sorted(ha) == [s for s, _ in hb], (key, sorted(ha), hb))
            last = {}
            for m in sorted(src.get_metric_history(a.info.run_id, key), key=lambda m: (m.step, m.timestamp)):
                last[m.step] = m.value
            check(same([last[s] for s, _ in hb], [v for _, v in hb]), (key, last, hb))
        la = sorted(x.path for x in src.list_artifacts(a.info.run_id))
        lb = sorted(x.path for x in dst.list_artifacts(a.info.run_id))
        check(la == lb, (la, lb))
        if la:
            da = src.download_artifacts(a.info.run_id, "", os.path.join(work, a.info.run_id, "a"))
            db = dst.download_artifacts(a.info.run_id, "", os.path.join(work, a.info.run_id, "b"))
            for root, _, files in os.walk(da):
                for f in files:
                    rel = os.path.relpath(os.path.join(root, f), da)
                    with open(os.path.join(da, rel), "rb") as x, open(os.path.join(db, rel), "rb") as y:
                        check(x.read() == y.read(), rel)
    check(theirs, "nothing was compared")
    print(f"mlflow import: {len(exps)} experiments, {len(theirs)} runs equal through the MLflow client")


if __name__ == "__main__" and sys.argv[1] == "--import-write":
    import_write(sys.argv[2])
elif __name__ == "__main__" and sys.argv[1] == "--import-check":
    import_check(*sys.argv[2:5])
