"""Feedback while training: a rich progress bar, TensorBoard and MLflow via accelerate.

Trackers are accelerate's own (``Accelerator(log_with=...)``), so DDP runs log once, from
the main process. A tracker that is asked for but not installed is skipped with a
:class:`~relx.errors.RelxWarning` (training is never stopped by a missing logger).
"""

from __future__ import annotations

import importlib.util
import logging
import time
from typing import Any

from relx.errors import warn_and_log
from relx.rundir import TENSORBOARD_DIR  # where TensorBoard events go in a run directory

__all__ = ["tracker_names", "flat_config", "Progress", "TENSORBOARD_DIR"]

logger = logging.getLogger("relx.train")


def tracker_names(*, tensorboard: bool, mlflow: bool) -> list[str]:
    """The accelerate ``log_with`` list for the enabled, installed trackers."""
    names = []
    for name, wanted, module in (
        ("tensorboard", tensorboard, "tensorboard"),
        ("mlflow", mlflow, "mlflow"),
    ):
        if not wanted:
            continue
        if importlib.util.find_spec(module) is None:
            message = (
                f"tracking.{name}=true but the {module} package is not installed; not logging "
                f"to it (pip install {module})"
            )
            warn_and_log(logger, message, stacklevel=2)
            continue
        names.append(name)
    return names


def flat_config(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Flatten a nested config dict to ``section.key`` scalars (trackers take flat params)."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat_config(value, name + "."))
        elif isinstance(value, (int, float, str, bool)) or value is None:
            out[name] = "None" if value is None else value
        else:
            out[name] = str(value)
    return out


class Progress:
    """A rich progress bar with loss, lr and examples/s; a no-op when disabled."""

    def __init__(self, *, total_steps: int, start_step: int, enabled: bool) -> None:
        self.enabled = enabled
        self._bar = None
        self._task = None
        self._t0 = time.perf_counter()
        self._examples = 0
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("[bold]train"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task("train", total=total_steps, completed=start_step, info="")

    def update(self, *, step: int, loss: float, lr: float, examples: int, extra: str = "") -> None:
        """Advance to ``step`` and show the latest loss, lr and throughput."""
        self._examples += examples
        if self._bar is None:
            return
        rate = self._examples / max(time.perf_counter() - self._t0, 1e-9)
        info = f"loss {loss:.4f}  lr {lr:.2e}  {rate:.1f} ex/s {extra}"
        self._bar.update(self._task, completed=step, info=info)

    def message(self, text: str) -> None:
        """Print a line above the bar (e.g. an evaluation result)."""
        if self._bar is not None:
            self._bar.console.print(text, highlight=False)

    def close(self) -> None:
        """Stop the bar (always call, also on errors)."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
