"""luml-sdk's own docstring examples, verbatim, against Sextant and against luml-sdk:
each library reads what the other wrote with every value equal."""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import pytest
from conftest import luml_view, run_script, sextant_view
from luml.experiments.tracker import ExperimentTracker as Luml

# Names the examples use without defining them.
PRELUDE = {
    "log_dynamic": "_losses = iter([0.9, 0.7, 0.55, 0.4, 0.33, 0.3, 0.28, 0.27, 0.26, 0.25])\n"
    "def train_epoch():\n    return next(_losses)\n",
    "link_to_model": "import numpy as np\nfrom sklearn.ensemble import RandomForestClassifier\n"
    "X_train = np.random.default_rng(0).random((40, 3))\n"
    "model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X_train, X_train[:, 0] > 0.5)\n",
    "log_attachment": "import json\nconfig_json = json.dumps({'lr': 0.001, 'layers': [64, 32]})\n"
    "image_bytes = bytes(range(256)) * 4\n",
}
# After enable_tracing's example: a traced function, the way a user would write one.
POSTLUDE = {
    "enable_tracing": """
from opentelemetry import trace
tracer = trace.get_tracer("train")
with tracer.start_as_current_span("epoch", attributes={"epoch": 1, "lr": 0.001}) as outer:
    with tracer.start_as_current_span("forward", attributes={"gen_ai.operation.name": "chat"}) as inner:
        inner.add_event("batch", {"size": 32})
""",
}
# In the order a user would meet them; all but the class example share ./experiments.
EXAMPLES = [
    None,
    "end_experiment",
    "log_static",
    "log_dynamic",
    "log_attachment",
    "link_to_model",
    "enable_tracing",
    "list_experiments",
]


def example(method: str | None) -> str:
    doc = inspect.getdoc(Luml if method is None else getattr(Luml, method)) or ""
    found = re.search(r"```python\n(.*?)```", doc, re.S)
    assert found, f"luml-sdk's {method or 'class'} docstring has no example"
    return textwrap.dedent(found.group(1))


def run_examples(module: str, cwd: Path) -> list[str]:
    cwd.mkdir()
    outputs = []
    for method in EXAMPLES:
        code = f"from {module} import ExperimentTracker\n"
        code += PRELUDE.get(method, "") + example(method) + POSTLUDE.get(method, "")
        outputs.append(run_script(code, cwd).stdout)
    return outputs


GENERATED = re.compile(r"^[a-z]+\d*-[a-z]+\d*-?\d*$")


def canonical(view: dict) -> list:
    """A store's contents without what differs between any two runs (ids, generated
    names, span ids and times), sorted."""
    out = []
    for e in view.values():
        traces = sorted(
            sorted((s[2], s[3], s[4], s[1] is None, s[7], repr(s[8]), repr(s[9])) for s in spans)
            for spans in e["traces"].values()
        )
        out.append(
            (
                e["name"] if not GENERATED.match(e["name"]) else "<generated>",
                e["status"],
                e["group"],
                e["tags"],
                repr(sorted(e["params"].items())),
                repr(sorted(e["metrics"].items())),
                repr(sorted(e["attachments"].items())),
                repr(traces),
            )
        )
    return sorted(out)


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("examples")
    outputs = {}
    for lib, module in (("luml", "luml.experiments.tracker"), ("sextant", "sextant")):
        outputs[lib] = run_examples(module, root / lib)
    return {"root": root, "outputs": outputs}


@pytest.mark.parametrize("store", ["my_experiments", "experiments"])
def test_sextant_writes_what_luml_reads_equally(stores, store):
    path = stores["root"] / "sextant" / store
    assert path.is_dir(), "the example did not create the store luml-sdk's docs name"
    seen_by_luml = luml_view(path)
    assert seen_by_luml, "luml-sdk sees no experiments"
    assert seen_by_luml == sextant_view(path)


@pytest.mark.parametrize("store", ["my_experiments", "experiments"])
def test_luml_writes_what_sextant_reads_equally(stores, store):
    path = stores["root"] / "luml" / store
    assert sextant_view(path) == luml_view(path)


@pytest.mark.parametrize("store", ["my_experiments", "experiments"])
def test_same_examples_store_the_same_data(stores, store):
    ours = canonical(sextant_view(stores["root"] / "sextant" / store))
    theirs = canonical(luml_view(stores["root"] / "luml" / store))
    assert ours == theirs


def test_examples_log_what_they_say(stores):
    view = sextant_view(stores["root"] / "sextant" / "experiments")
    by_content = {tuple(sorted(e["params"])) + tuple(sorted(e["metrics"])): e for e in view.values()}
    static = by_content[("batch_size", "learning_rate", "model_architecture")]
    assert static["params"] == {"learning_rate": 0.001, "model_architecture": "resnet50", "batch_size": 32}
    dynamic = by_content[("train_loss",)]
    assert [p[1] for p in dynamic["metrics"]["train_loss"]] == [0.9, 0.7, 0.55, 0.4, 0.33, 0.3, 0.28, 0.27, 0.26, 0.25]
    assert [p[0] for p in dynamic["metrics"]["train_loss"]] == list(range(10))
    (attached,) = [e for e in view.values() if e["attachments"]]
    assert attached["attachments"]["plot.png"] == bytes(range(256)) * 4
    assert b'"lr": 0.001' in attached["attachments"]["model_config.json"]
    (traced,) = [e for e in view.values() if e["traces"]]
    (spans,) = traced["traces"].values()
    assert {s[2] for s in spans} == {"epoch", "forward"}
    forward = next(s for s in spans if s[2] == "forward")
    assert forward[4] == 1, "a gen_ai chat span is typed as chat (dfs_span_type 1), as luml does"
    assert forward[9] == [("batch", {"size": 32})]
    # The examples that never end their experiment leave it failed at exit, as luml does.
    assert static["status"] == "error"
    assert {e["status"] for e in view.values() if e is not static} <= {"completed", "error"}


def test_list_experiments_example_prints_every_experiment(stores):
    for lib in ("luml", "sextant"):
        printed = stores["outputs"][lib][-1].strip().splitlines()
        view = sextant_view(stores["root"] / lib / "experiments")
        assert sorted(printed) == sorted(f"{i}: {e['name']}" for i, e in view.items())


def test_start_experiment_example_fails_alike(tmp_path):
    """luml's start_experiment example passes the name twice; both libraries refuse it."""
    code = example("start_experiment")
    for module in ("luml.experiments.tracker", "sextant"):
        proc = run_script(f"from {module} import ExperimentTracker\n{code}", tmp_path, check=False)
        assert proc.returncode != 0
        assert "TypeError" in proc.stderr and "multiple values for argument 'name'" in proc.stderr


def _snapshot_in_model(model) -> tuple[list[str], list[tuple]]:
    """The experiment snapshot inside a .luml model: its member names and exp.db's params."""
    import io
    import sqlite3
    import tarfile
    import tempfile
    import zipfile

    with tarfile.open(model) as tar:
        names = [n for n in tar.getnames() if "experiment_snapshot" in n]
        (db,) = [n for n in names if n.endswith("/exp.db.zip")]
        with zipfile.ZipFile(io.BytesIO(tar.extractfile(db).read())) as z, tempfile.TemporaryDirectory() as d:
            z.extract("exp.db", d)
            conn = sqlite3.connect(f"{d}/exp.db")
            params = conn.execute("SELECT key, value, value_type FROM static_params").fetchall()
            conn.close()
    return sorted(n.rsplit("/", 1)[1] for n in names), params


def test_link_to_model_example_puts_the_snapshot_in_the_model(stores):
    import sextant

    found = {}
    for lib in ("luml", "sextant"):
        (model,) = (stores["root"] / lib).glob("*.luml")
        found[lib] = _snapshot_in_model(model)
    (luml_members, luml_params), (members, params) = found["luml"], found["sextant"]
    assert params == luml_params == [("model_type", "RandomForest", "str")]
    assert set(luml_members) <= set(members)
    store = stores["root"] / "sextant" / "experiments"
    (linked,) = [i for i, e in sextant_view(store).items() if e["params"] == {"model_type": "RandomForest"}]
    models = sextant.ExperimentTracker(f"sqlite://{store}").list_experiment_models(linked)
    assert [m.name.endswith(".luml") for m in models] == [True]
