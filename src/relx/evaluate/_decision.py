"""The run's decision rule: the ``NOT`` threshold tuned at the end of training, saved with it.

Training (``train.tune_threshold``) tunes the threshold on the validation predictions of the
reloaded best checkpoint (:func:`relx.evaluate.tune_threshold`) and writes it next to the
model as ``decision.json``, so ``relx predict`` and ``relx eval --data`` apply the run's own
threshold by default; ``--threshold`` overrides it. A model without ``decision.json`` keeps
the arg-max rule (threshold 0.5 for ``relx predict``).

The selection metric stays the arg-max F1 (the checkpoint is chosen before any threshold
exists); the tuned F1 is reported beside it, labelled as tuned on the same predictions (and
so optimistic: a CV reports the cross-fitted F1 instead, see docs/architecture.md).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from relx._io import atomic_write_json, read_json
from relx.labels import NOT_LABEL

__all__ = ["DECISION_FILE", "decide_threshold", "save_decision", "load_decision_threshold"]

#: Written into a model directory (``checkpoints/best``) by training.
DECISION_FILE = "decision.json"


def decide_threshold(probs: Any, gold: Sequence[str | None], labels: Sequence[str]
                     ) -> dict[str, Any] | None:
    """The tuned threshold and its F1 on these predictions, or ``None`` without a ``NOT``
    class (nothing to threshold) or without a known gold label."""
    import numpy as np

    from relx.evaluate._threshold import tune_threshold

    if NOT_LABEL not in labels or not any(g is not None for g in gold):
        return None
    choice = tune_threshold(np.asarray(probs, dtype=np.float64), gold, labels)
    return {
        "rule": "relation iff 1 - p(NOT) >= threshold, then the most probable relation type",
        "threshold": choice.threshold,
        "tuned_on": "validation predictions of the best checkpoint",
        "f1_tuned_on_same_predictions": choice.f1,
        "argmax_f1": choice.argmax_f1,
        "n": choice.n,
    }


def save_decision(model_dir: str | os.PathLike[str], decision: dict[str, Any]) -> None:
    """Write ``decision.json`` into a model directory (atomically)."""
    atomic_write_json(Path(model_dir) / DECISION_FILE, decision)


def load_decision_threshold(model_dir: str | os.PathLike[str]) -> float | None:
    """The saved threshold of a model directory, or ``None`` when it has none."""
    path = Path(model_dir) / DECISION_FILE
    if not path.is_file():
        return None
    value = read_json(path).get("threshold")
    return float(value) if value is not None else None
