"""A live line for folds that train in worker processes (``relx quickstart`` on CPU, ``relx cv
--gpus``/``--cpu-slots``): each fold's latest step, epoch and loss, read from its run directory.

Why not the training loop's own bars: a worker's output goes to its log file
(``logs/fold_k.log``, relx/train/_launch.py), so the terminal would show nothing for minutes.
The run directory is the contract between stages: ``fold_k/metrics.jsonl`` gets one line per
optimizer step, so reading its last line is enough, and nothing in the workers changes.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from relx import rundir

__all__ = ["live_fold_status", "fold_status_text"]

#: Bytes read from the end of a metrics file: several lines of one step each.
_TAIL_BYTES = 4096


def _last_train_record(metrics: Path) -> dict[str, Any] | None:
    """The newest ``"event": "train"`` line of ``metrics``, or None (missing, no step yet)."""
    try:
        with metrics.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - _TAIL_BYTES))
            lines = handle.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:  # the first, cut line, or a line being written
            continue
        if isinstance(record, dict) and record.get("event") == "train":
            return record
    return None


def fold_status_text(cv_dir: Path) -> str:
    """``fold 0: epoch 1.4, step 120, loss 0.310 · fold 1: starting``, for the folds whose
    run directories exist (a worker creates its own when it starts)."""
    parts = []
    for run_dir in rundir.fold_dirs(cv_dir) if cv_dir.is_dir() else []:
        k = run_dir.name.split("_", 1)[1]
        if (run_dir / rundir.COMPLETE_MARKER).exists():
            parts.append(f"fold {k}: done")
            continue
        record = _last_train_record(run_dir / rundir.METRICS_FILE)
        if record is None:
            parts.append(f"fold {k}: starting")
        else:
            loss = record.get("loss")
            parts.append(f"fold {k}: epoch {float(record.get('epoch', 0)):.1f}, step "
                         f"{record.get('step')}" + (f", loss {loss:.3f}" if loss is not None else ""))
    return " · ".join(parts) or "starting the folds"


@contextlib.contextmanager
def live_fold_status(console: Any, cv_dir: Path, *, enabled: bool = True,
                     every_seconds: float = 1.0) -> Iterator[None]:
    """Show :func:`fold_status_text` as a spinner line on ``console`` while the block runs.

    Only on a terminal (rich's status does not animate in logs); the fold start/end lines are
    printed as before, above the spinner.
    """
    if not enabled or not console.is_terminal:
        yield
        return
    stop = threading.Event()
    with console.status(fold_status_text(cv_dir)) as status:

        def refresh() -> None:
            while not stop.wait(every_seconds):
                status.update(fold_status_text(cv_dir))

        thread = threading.Thread(target=refresh, name="relx-fold-status", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
