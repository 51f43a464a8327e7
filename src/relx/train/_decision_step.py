"""The recipe's threshold step: tune the ``NOT`` threshold on the best checkpoint's
validation predictions and save it with the model (``train.tune_threshold``).

Kept out of the loop and out of :func:`relx.train._recipe.finalize`'s body: finalize calls
:func:`tune_run_threshold` once, after the reloaded best checkpoint is scored.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["tune_run_threshold"]


def tune_run_threshold(
    best_dir: Path,
    probs: Any,
    examples: Sequence[Any],
    *,
    task: Any,
    labels: Sequence[str],
    enabled: bool,
) -> dict[str, Any]:
    """Summary fields of the tuned decision: ``threshold`` (``None`` = arg-max rule) and
    ``final_tuned`` (the task's metrics at that threshold, on the same predictions)."""
    from relx.evaluate import decide_threshold, predictions_from_probs, save_decision

    if not enabled:
        return {"threshold": None}
    matrix = probs.numpy() if hasattr(probs, "numpy") else probs
    gold = [task.target(ex) for ex in examples]
    decision = decide_threshold(matrix, gold, labels)
    if decision is None:
        return {"threshold": None}
    save_decision(best_dir, decision)
    records = predictions_from_probs(examples, matrix, labels=list(labels),
                                     threshold=decision["threshold"])
    metrics = task.score(gold, [r.pred for r in records], list(labels))
    return {
        "threshold": decision["threshold"],
        "final_tuned": {
            "label": "tuned on these validation predictions (optimistic); selection used "
                     "the arg-max metrics in 'final'",
            **{k: v for k, v in metrics.items() if k != "per_class_f1"},
        },
    }
