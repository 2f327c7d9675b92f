"""Sextant's Python API: luml's signatures, errors by kind, the fast paths, stores."""

from __future__ import annotations

import array
import inspect
import json
import math
import pickle
import queue
import re
import subprocess
import threading
import time

import numpy as np
import pytest
from conftest import sextant_bin
from luml.experiments.tracker import ExperimentTracker as Luml

import sextant
from sextant import ExperimentTracker

# Every method of luml-sdk's ExperimentTracker that Sextant offers, signature for signature.
LUML_METHODS = [
    "__init__",
    "__enter__",
    "__exit__",
    "start_experiment",
    "end_experiment",
    "fail_experiment",
    "log_static",
    "log_dynamic",
    "log_span",
    "log_attachment",
    "get_experiment",
    "get_attachment",
    "list_attachments",
    "list_experiments",
    "delete_experiment",
    "list_groups",
    "link_to_model",
    "get_experiment_record",
    "get_trace",
    "get_experiment_traces_all",
    "get_experiment_metric_history",
    "update_experiment",
    "list_experiment_models",
    "get_models",
    "enable_tracing",
    "export",
    "log_eval_sample",
    "link_eval_sample_to_trace",
    "log_eval_annotation",
    "log_span_annotation",
    "update_annotation",
    "delete_annotation",
    "get_eval_annotations",
    "get_span_annotations",
    "get_eval_annotation_summary",
    "get_evals_annotation_summaries",
    "get_trace_annotation_summary",
    "get_traces_annotation_summaries",
    "get_all_traces_annotation_summary",
    "get_experiment_evals",
    "get_experiment_evals_all",
    "get_eval",
    "get_experiment_eval_dataset_ids",
    "get_experiment_eval_columns",
    "get_experiment_evals_average_scores",
]


def params(fn):
    sig = inspect.signature(fn)
    return [(p.name, p.default) for p in sig.parameters.values() if p.name != "self"]


# Keyword-only options Sextant adds after luml's parameters (luml's calls stay valid).
SEXTANT_EXTRAS = {"start_experiment": [("system_metrics", False)]}


@pytest.mark.parametrize("method", LUML_METHODS)
def test_signature_matches_luml(method):
    ours = params(getattr(ExperimentTracker, method))
    extras = SEXTANT_EXTRAS.get(method, [])
    assert ours == params(getattr(Luml, method)) + extras
    sig = inspect.signature(getattr(ExperimentTracker, method))
    for name, _ in extras:
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY


def test_store_default_matches_luml():
    assert inspect.signature(Luml.__init__).parameters["connection_string"].default == sextant.DEFAULT_STORE


@pytest.fixture
def t():
    return ExperimentTracker("memory://")


def test_errors_carry_codes_and_builtin_bases(t):
    with pytest.raises(sextant.NoActiveExperimentError) as e:
        t.log_dynamic("loss", 1.0)
    assert e.value.code == "NO_ACTIVE_EXPERIMENT" and isinstance(e.value, ValueError)
    exp = t.start_experiment()
    with pytest.raises(KeyError) as e:
        t.get_attachment("nope.txt")
    assert isinstance(e.value, sextant.AttachmentNotFoundError) and e.value.code == "ATTACHMENT_NOT_FOUND"
    assert "nope.txt" in str(e.value) and exp in str(e.value)
    with pytest.raises(sextant.ExperimentNotFoundError) as e:
        t.get_metric_history("loss", "no-such-id")
    assert e.value.code == "EXPERIMENT_NOT_FOUND"
    with pytest.raises(sextant.InvalidInputError) as e:
        t.log_dynamic("", 1.0)
    assert e.value.code == "INVALID_INPUT" and "key" in str(e.value)
    with pytest.raises(TypeError) as e:
        t.log_dynamic("loss", "abc")
    assert isinstance(e.value, sextant.InvalidTypeError) and "loss" in str(e.value) and "str" in str(e.value)
    with pytest.raises(sextant.InvalidConnectionError) as e:
        ExperimentTracker("nope")
    assert e.value.code == "INVALID_CONNECTION_STRING"
    with pytest.raises(sextant.InvalidConnectionError) as e:
        ExperimentTracker("zzz://x")
    assert e.value.code == "UNKNOWN_BACKEND" and "sqlite://" in str(e.value)
    assert all(issubclass(c, sextant.SextantError) for c in (sextant.NotFoundError, sextant.StorageError))


def test_errors_pickle(t):
    with pytest.raises(sextant.SextantError) as e:
        t.end_experiment()
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is type(e.value) and back.code == e.value.code and str(back) == str(e.value)


def test_bad_input_keeps_what_was_logged(t):
    exp = t.start_experiment()
    t.log_dynamic("loss", 1.0)
    with pytest.raises(sextant.InvalidInputError):
        t.log_dynamic("bad key\n", 2.0)
    with pytest.raises(sextant.InvalidInputError):
        t.log_dynamics({"ok": 1.0, "also_ok": "x"}, step=3)
    t.flush()
    assert [p["value"] for p in t.get_metric_history("loss")] == [1.0]
    assert [m.key for m in t.list_metrics(exp)] == ["loss"], "a refused log_dynamics logs none of its keys"


def test_log_static_takes_json_values_and_numpy(t):
    exp = t.start_experiment()
    values = {
        "f": 0.5,
        "i": 3,
        "b": False,
        "s": "adam",
        "l": [1, 2.5, "x", None],
        "d": {"a": {"b": [True]}, 3: "int key"},
        "np_f": np.float32(0.25),
        "np_i": np.int64(7),
        "np_b": np.bool_(True),
        "np_arr": np.array([[1, 2], [3, 4]]),
        "tuple": (1, 2),
        "nan": math.nan,
    }
    for k, v in values.items():
        t.log_static(k, v)
    got = t.get_experiment(exp).static_params
    assert got["f"] == 0.5 and got["i"] == 3 and got["b"] is False and got["s"] == "adam"
    assert got["l"] == [1, 2.5, "x", None] and got["d"] == {"a": {"b": [True]}, "3": "int key"}
    assert got["np_f"] == 0.25 and got["np_i"] == 7 and type(got["np_i"]) is int and got["np_b"] is True
    assert got["np_arr"] == [[1, 2], [3, 4]] and got["tuple"] == [1, 2] and math.isnan(got["nan"])
    with pytest.raises(sextant.InvalidTypeError, match="set"):
        t.log_static("bad", {1, 2})
    with pytest.raises(sextant.InvalidInputError, match="NaN inside a list"):
        t.log_static("bad", [math.nan])
    cyclic: list = []
    cyclic.append(cyclic)
    with pytest.raises(sextant.InvalidInputError, match="nested"):
        t.log_static("bad", cyclic)


def test_log_dynamic_takes_anything_with_float(t):
    class Tensor:
        def __float__(self):
            return 0.125

    exp = t.start_experiment()
    for v in (1, 2.5, np.float16(0.5), np.int32(4), np.array(3.0), Tensor(), True):
        t.log_dynamic("m", v)
    values = [p["value"] for p in t.get_metric_history("m", exp)]
    assert values == [1.0, 2.5, 0.5, 4.0, 3.0, 0.125, 1.0]
    t.log_dynamic("m", 9.0, step=np.int64(100))  # numpy integer steps too
    assert t.get_metric_history("m", exp)[-1] == {**t.get_metric_history("m", exp)[-1], "step": 100, "value": 9.0}
    with pytest.raises(TypeError):
        t.log_dynamic("m", 1.0, step=1.5)


def test_log_dynamics_one_step_many_keys(t):
    exp = t.start_experiment()
    t.log_dynamics({"loss": 0.5, "acc": np.float64(0.9)}, step=10)
    t.log_dynamics({"loss": 0.4, "acc": 0.91})
    assert t.get_metric_history("loss", exp)[-1]["step"] == 11
    assert [(m.key, m.count, m.last_value) for m in t.list_metrics()] == [("acc", 2, 0.91), ("loss", 2, 0.4)]


@pytest.mark.parametrize(
    "values",
    [
        np.linspace(0, 1, 1000),
        np.linspace(0, 1, 1000).astype(np.float32),
        np.linspace(0, 1, 2000)[::2],  # not contiguous
        array.array("d", np.linspace(0, 1, 1000)),
        list(np.linspace(0, 1, 1000)),
        memoryview(np.linspace(0, 1, 1000)),
    ],
    ids=["f64", "f32", "strided", "array", "list", "memoryview"],
)
def test_log_dynamic_array_reads_buffers(t, values):
    exp = t.start_experiment()
    assert t.log_dynamic_array("x", values) == 1000
    steps, got = t.get_metric_arrays("x", exp)
    assert steps == list(range(1000))
    np.testing.assert_allclose(got, np.asarray(values, dtype=np.float64), rtol=0)


def test_log_dynamic_array_with_steps_and_auto_step_after(t):
    exp = t.start_experiment()
    t.log_dynamic_array("x", np.array([1.0, 2.0, np.nan]), steps=np.array([10, 20, 30]))
    t.log_dynamic("x", 4.0)
    steps, values = t.get_metric_arrays("x", exp)
    assert steps == [10, 20, 30, 31] and values[:2] == [1.0, 2.0] and math.isnan(values[2])
    with pytest.raises(sextant.InvalidInputError, match="one entry per value"):
        t.log_dynamic_array("x", np.zeros(3), steps=np.arange(2))
    with pytest.raises(sextant.InvalidInputError, match="integers"):
        t.log_dynamic_array("x", np.zeros(2), steps=np.array([1.5, 2.5]))
    with pytest.raises(sextant.InvalidInputError, match="1-D"):
        t.log_dynamic_array("x", memoryview(np.zeros((2, 2))))


def test_context_manager_ends_or_fails(tmp_path):
    store = f"sqlite://{tmp_path}"
    with ExperimentTracker(store) as t:
        ok = t.start_experiment(name="ok")
        t.log_dynamic("loss", 1.0)
    with pytest.raises(RuntimeError):
        with ExperimentTracker(store) as t:
            bad = t.start_experiment(name="bad")
            t.log_dynamic("loss", 2.0)
            raise RuntimeError("training diverged")
    t = ExperimentTracker(store)
    assert t.get_experiment_record(ok).status == "completed"
    assert t.get_experiment_record(bad).status == "error"
    assert t.get_metric_history("loss", bad)[0]["value"] == 2.0, "a failed run keeps its points"


def test_reads_shapes(tmp_path):
    t = ExperimentTracker(f"sqlite://{tmp_path}")
    exp = t.start_experiment(name="shapes", group="grp", tags=["x"])
    t.log_static("lr", 0.1)
    t.log_dynamic("loss", 0.5)
    t.log_attachment("a/b.txt", "hello")
    t.end_experiment()
    (e,) = t.list_experiments()
    assert e["id"] == e.id == exp and e.name == "shapes" and e.group_name == "grp" and e.tags == ["x"]
    assert e.status == "completed" and e.static_params == {"lr": 0.1} and e.dynamic_params == {"loss": 0.5}
    assert e.created_at.tzinfo is not None and e.duration is not None and e.duration >= 0
    (g,) = [g for g in t.list_groups() if g.name == "grp"]
    assert e.group_id == g.id and g.experiment_count == 1
    (a,) = t.list_attachments(exp)
    assert (a.name, a.size) == ("a/b.txt", 5)
    assert t.get_attachment("a/b.txt", exp) == b"hello"
    assert t.update_experiment(exp, name="renamed", tags=["y"]).name == "renamed"
    assert t.update_experiment("missing", name="x") is None
    t.delete_experiment(exp)
    assert t.list_experiments() == []


def test_attachment_from_a_path(tmp_path, t):
    f = tmp_path / "cfg.yaml"
    f.write_bytes(b"lr: 0.1\n")
    exp = t.start_experiment()
    t.log_attachment("cfg.yaml", f)
    assert t.get_attachment("cfg.yaml", exp) == b"lr: 0.1\n"


def test_link_to_model_records_the_model(tmp_path):
    t = ExperimentTracker(f"sqlite://{tmp_path / 'store'}")
    exp = t.start_experiment()
    t.log_static("model_type", "RandomForest")
    model_file = tmp_path / "model.bin"
    model_file.write_bytes(b"weights")

    class Ref:  # what luml's ModelReference offers: .path
        path = str(model_file)

    m = t.link_to_model(Ref())
    assert m.name == "model.bin" and m.experiment_id == exp
    assert (tmp_path / "model.bin.snapshot.tar").stat().st_size > 0
    assert [x.name for x in t.list_experiment_models(exp)] == ["model.bin"]
    with pytest.raises(sextant.InvalidInputError, match="does not exist"):
        t.link_to_model(tmp_path / "missing.luml")


def test_memory_store_is_separate_per_tracker():
    a, b = ExperimentTracker("memory://"), ExperimentTracker("memory://")
    a.start_experiment(name="only-in-a")
    assert [e.name for e in a.list_experiments()] == ["only-in-a"] and b.list_experiments() == []


@pytest.fixture
def server(tmp_path):
    proc = subprocess.Popen(
        [sextant_bin(), "--store", f"sqlite://{tmp_path / 'served'}", "serve", "--host", "127.0.0.1", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in proc.stderr], daemon=True).start()
        deadline = time.monotonic() + 30
        url = None
        while url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
        assert url, "sextant serve did not say where it listens"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_http_store_through_a_server(server, tmp_path):
    t = ExperimentTracker(server)
    exp = t.start_experiment(name="remote", tags=["http"])
    t.log_static("lr", 0.01)
    t.log_dynamic_array("loss", np.linspace(1, 0, 500))
    t.log_attachment("notes.md", "# remote")
    t.end_experiment()
    other = ExperimentTracker(server)
    assert other.get_experiment_record(exp).status == "completed"
    assert len(other.get_metric_history("loss", exp)) == 500
    assert other.get_attachment("notes.md", exp) == b"# remote"
    # and the server's store is a luml store on disk
    luml = Luml(f"sqlite://{tmp_path / 'served'}")
    assert luml.get_experiment(exp).static_params == {"lr": 0.01}


def _luml_model(path):
    import io
    import json
    import tarfile

    with tarfile.open(path, "w") as tar:
        data = json.dumps({"artifact_type": "model"}).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))


def _snapshot_members(path):
    import tarfile

    names = tarfile.open(path).getnames()
    inside = sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("meta_artifacts/") and "experiment_snapshot" in n)
    metas = [n for n in names if re.fullmatch(r"meta-[0-9a-f]+\.json", n)]
    return names[0], inside, len(metas)


def test_link_to_a_luml_model_appends_the_snapshot_as_luml_does(tmp_path):
    import sqlite3
    import tarfile
    import zipfile

    from luml.artifacts.model import ModelReference

    for name, cls in (("luml", Luml), ("sextant", ExperimentTracker)):
        _luml_model(tmp_path / f"{name}.luml")
        t = cls(f"sqlite://{tmp_path / name}")
        t.start_experiment(name="linked")
        t.log_static("model_type", "RandomForest")
        t.log_attachment("notes.md", "# n")
        t.link_to_model(ModelReference(str(tmp_path / f"{name}.luml")))
        t.end_experiment()
    first, inside, metas = _snapshot_members(tmp_path / "sextant.luml")
    assert first == "manifest.json", "the model's own members stay first, untouched"
    luml_first, luml_inside, luml_metas = _snapshot_members(tmp_path / "luml.luml")
    assert set(luml_inside) <= set(inside) and metas == luml_metas == 1
    with tarfile.open(tmp_path / "sextant.luml") as tar:
        (db_zip,) = [m for m in tar.getmembers() if m.name.endswith("/exp.db.zip")]
        (tmp_path / "exp.db.zip").write_bytes(tar.extractfile(db_zip).read())
    with zipfile.ZipFile(tmp_path / "exp.db.zip") as z:
        z.extract("exp.db", tmp_path / "unzipped")
    rows = sqlite3.connect(tmp_path / "unzipped" / "exp.db").execute("SELECT key, value FROM static_params").fetchall()
    assert rows == [("model_type", "RandomForest")]


def test_start_experiment_with_an_id_switches_back(t):
    a = t.start_experiment(name="a")
    t.log_dynamic("x", 1.0)
    t.start_experiment(name="b")
    assert t.start_experiment(experiment_id=a) == a and t.current_experiment_id == a
    t.log_dynamic("x", 2.0)
    assert [(p["step"], p["value"]) for p in t.get_metric_history("x", a)] == [(0, 1.0), (1, 2.0)]
    with pytest.raises(AttributeError):
        t.current_experiment_id = None  # read-only, unlike luml's attribute


def test_search_experiments_filters_and_sorts_with_the_search_language(t):
    for name, acc, opt in [("a", 0.7, "sgd"), ("b", 0.95, "adamw"), ("c", 0.91, "adamw")]:
        t.start_experiment(name=name)
        t.log_static("optimizer", opt)
        t.log_dynamic("val/acc", acc)
        t.end_experiment()
    found = t.search_experiments("metrics.`val/acc` > 0.9 and params.optimizer = 'adamw'", order_by="metrics.`val/acc` ASC")
    assert [e["name"] for e in found] == ["c", "b"]
    assert [e.name for e in t.search_experiments(order_by="attributes.name DESC")] == ["c", "b", "a"]
    assert len(t.list_experiments()) == 3
    with pytest.raises(sextant.InvalidInputError) as e:
        t.search_experiments("metrics.acc >")
    assert e.value.code == "INVALID_INPUT" and "column 14" in str(e.value)


def test_system_metrics_only_when_asked(t):
    with_them = t.start_experiment("with", system_metrics=True)
    t.log_dynamic("loss", 1.0)
    t.end_experiment()
    without = t.start_experiment("without")
    t.log_dynamic("loss", 1.0)
    t.end_experiment()
    keys_with = {m.key for m in t.list_metrics(with_them)}
    assert {"system/cpu_percent", "system/memory_used_mb", "system/network_sent_mb"} <= keys_with
    assert "loss" in keys_with
    assert [m.key for m in t.list_metrics(without)] == ["loss"]


PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def test_log_image_stores_media_and_an_index(t):
    run = t.start_experiment("images")
    t.log_image("samples", PNG_1X1, 0)
    t.log_image("samples", b"\xff\xd8\xff\xe0jpeg", 5)
    t.log_image("samples", PNG_1X1, 5)  # a step again replaces its entry
    names = {a["name"] for a in t.list_attachments(run)}
    assert {"media/samples/0.png", "media/samples/5.png", "media/samples/index.json"} <= names
    index = json.loads(t.get_attachment("media/samples/index.json", run))
    assert [(i["step"], i["name"], i["format"]) for i in index["images"]] == [
        (0, "media/samples/0.png", "png"),
        (5, "media/samples/5.png", "png"),
    ]
    with pytest.raises(sextant.InvalidInputError, match="neither PNG nor JPEG"):
        t.log_image("samples", b"GIF89a....", 6)
