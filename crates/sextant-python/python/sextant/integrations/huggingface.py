"""A Hugging Face ``transformers`` ``TrainerCallback`` logging into Sextant.

```python
from transformers import Trainer
from sextant.integrations.huggingface import SextantCallback

trainer = Trainer(..., callbacks=[SextantCallback(name="bert-finetune", group="glue")])
```

At train start it starts an experiment (unless the tracker already has a current one) and
logs the ``TrainingArguments`` and the model config as params; every ``on_log`` logs the
numeric values (``loss``, ``learning_rate``, ``eval_*``...) at ``state.global_step``; at
train end it flushes and ends the experiment it started. Only the main process logs.
"""

from __future__ import annotations

import math
from typing import Any

try:
    from transformers import TrainerCallback
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("sextant.integrations.huggingface needs transformers: pip install transformers") from e

from ..tracker import ExperimentTracker


def _params(d: dict[str, Any]) -> dict[str, Any]:
    """What of a config dict is a loggable param (JSON values; others as their str())."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if v is None or isinstance(v, (str, bool, int)) or (isinstance(v, float) and math.isfinite(v)):
            out[k] = v
        elif isinstance(v, (list, tuple, dict)):
            out[k] = v
        else:
            out[k] = str(v)
    return out


class SextantCallback(TrainerCallback):
    """Logs a ``Trainer`` run: args and model config as params, logs as metrics."""

    def __init__(
        self,
        tracker: ExperimentTracker | None = None,
        connection_string: str = "sqlite://./experiments",
        name: str | None = None,
        group: str = "default",
        tags: list[str] | None = None,
    ) -> None:
        self.tracker = tracker if tracker is not None else ExperimentTracker(connection_string)
        self._start = {"name": name, "group": group, "tags": tags}
        self.experiment_id: str | None = None
        self._started_here = False

    def on_train_begin(self, args, state, control, model=None, **kwargs):  # noqa: ANN001
        if not state.is_world_process_zero:
            return
        self.experiment_id = self.tracker.current_experiment_id
        if self.experiment_id is None:
            self.experiment_id = self.tracker.start_experiment(**self._start)
            self._started_here = True
        for key, value in _params(args.to_dict()).items():
            self._static(f"args/{key}", value)
        config = getattr(model, "config", None)
        if config is not None and hasattr(config, "to_dict"):
            for key, value in _params(config.to_dict()).items():
                self._static(f"model/{key}", value)

    def _static(self, key: str, value: Any) -> None:
        try:
            self.tracker.log_static(key, value, experiment_id=self.experiment_id)
        except (TypeError, ValueError):
            self.tracker.log_static(key, str(value), experiment_id=self.experiment_id)

    def on_log(self, args, state, control, logs=None, **kwargs):  # noqa: ANN001
        if not state.is_world_process_zero or not logs or self.experiment_id is None:
            return
        numbers = {
            k: float(v) for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        if numbers:
            self.tracker.log_dynamics(numbers, step=state.global_step, experiment_id=self.experiment_id)

    def on_train_end(self, args, state, control, **kwargs):  # noqa: ANN001
        if not state.is_world_process_zero or self.experiment_id is None:
            return
        if self._started_here:
            self.tracker.end_experiment(self.experiment_id)
            self._started_here = False
        else:
            self.tracker.flush()
