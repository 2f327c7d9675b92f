"""Framework integrations, driven by the framework's own callback machinery."""

from __future__ import annotations

import pytest

from sextant import ExperimentTracker

transformers = pytest.importorskip("transformers", reason="transformers is in requirements-test.txt")


def test_huggingface_callback_through_the_callback_handler(tmp_path):
    from transformers import PretrainedConfig, TrainerControl, TrainerState, TrainingArguments
    from transformers.trainer_callback import CallbackHandler

    from sextant.integrations.huggingface import SextantCallback

    class Model:
        config = PretrainedConfig(hidden_size=64, num_labels=3)

    tracker = ExperimentTracker(f"sqlite://{tmp_path / 'store'}")
    callback = SextantCallback(tracker, name="hf-run", group="glue", tags=["hf"])
    args = TrainingArguments(output_dir=str(tmp_path / "out"), learning_rate=3e-5, report_to=[])
    handler = CallbackHandler([callback], Model(), None, None, None)
    state, control = TrainerState(), TrainerControl()
    handler.on_train_begin(args, state, control)
    for step in range(1, 6):
        state.global_step = step
        handler.on_log(args, state, control, logs={"loss": 1.0 / step, "learning_rate": 3e-5, "epoch": step / 5})
    handler.on_log(args, state, control, logs={"eval_loss": 0.3, "eval_runtime": 1.5, "note": "x"})
    handler.on_train_end(args, state, control)

    (exp,) = tracker.list_experiments()
    assert (exp.name, exp.group_name, exp.tags, exp.status) == ("hf-run", "glue", ["hf"], "completed")
    params = exp.static_params
    assert params["args/learning_rate"] == 3e-5 and params["model/hidden_size"] == 64
    assert [p["value"] for p in tracker.get_metric_history("loss", exp.id)] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert [p["step"] for p in tracker.get_metric_history("loss", exp.id)] == [1, 2, 3, 4, 5]
    assert tracker.get_metric_history("eval_loss", exp.id)[0]["step"] == 5
    assert "note" not in {m.key for m in tracker.list_metrics(exp.id)}


def test_huggingface_callback_joins_a_running_experiment(tmp_path):
    from transformers import TrainerControl, TrainerState, TrainingArguments

    from sextant.integrations.huggingface import SextantCallback

    tracker = ExperimentTracker(f"sqlite://{tmp_path / 'store'}")
    mine = tracker.start_experiment(name="outer")
    cb = SextantCallback(tracker)
    args = TrainingArguments(output_dir=str(tmp_path / "out"), report_to=[])
    state = TrainerState()
    cb.on_train_begin(args, state, TrainerControl())
    cb.on_log(args, state, TrainerControl(), logs={"loss": 0.5})
    cb.on_train_end(args, state, TrainerControl())
    assert cb.experiment_id == mine
    assert tracker.get_experiment_record(mine).status == "active", "an experiment it did not start stays open"
